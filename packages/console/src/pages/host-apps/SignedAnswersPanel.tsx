import { Button, Descriptions, Space, Tag, Typography } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { manifestApi } from '../../api/manifest-endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { useTrustedDeliveryText } from '../../i18n/trusted-delivery-messages';

const short = (fingerprint: string) => fingerprint.slice(0, 16);

/**
 * On "View Basic Information": the generation of the host app's signed answers, how long each is valid, the key that
 * signs them, and the replaced keys, each with "Retire now" (operators, after a confirmation).
 */
export function SignedAnswersPanel({ app }: { app: Pick<HostApp, 'workspaceId' | 'appId'> }) {
  const { t } = useI18n();
  const td = useTrustedDeliveryText();
  const format = useFormat();
  const can = useCan();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const { data, reload } = useRequest((signal) => manifestApi.info(app.workspaceId, app.appId, signal), [app.workspaceId, app.appId]);
  if (!data) return null;

  const confirmRetire = (fingerprint: string) =>
    modal.confirm({
      title: td('retireKeyTitle', { fingerprint: short(fingerprint) }),
      content: td('retireKeyContent'),
      okText: td('retireNow'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await manifestApi.retireKey(app.workspaceId, app.appId, fingerprint);
          message.success(td('keyRetiredDone', { fingerprint: short(fingerprint) }));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  return (
    <div data-testid="signed-answers" style={{ marginTop: 16 }}>
      <Typography.Title level={5}>{td('signedAnswers')}</Typography.Title>
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={td('answerGeneration')}>
          <span data-testid="answer-generation">{data.generation}</span>{' '}
          <Typography.Text type="secondary">{td('answerGenerationHelp')}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={td('manifestLifetime')}>
          {td('manifestLifetimeValue', { hours: String(data.manifestTtlHours), half: String(data.manifestTtlHours / 2) })}
        </Descriptions.Item>
        {data.keyFingerprint && (
          <Descriptions.Item label={td('signingKey')}>
            <Typography.Text code>{data.keyFingerprint}</Typography.Text>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={td('replacedKeys')}>
          {data.previousKeys.length === 0
            ? td('noReplacedKeys')
            : data.previousKeys.map((k) => (
                <Space key={k.fingerprintSha256} data-testid={`previous-key-${k.fingerprintSha256}`} wrap style={{ display: 'flex' }}>
                  <Typography.Text code>{short(k.fingerprintSha256)}…</Typography.Text>
                  {k.revokedAt ? (
                    <Tag color="red">{td('keyRetired', { at: format.dateTime(k.revokedAt) })}</Tag>
                  ) : (
                    <>
                      <Tag>{td('keyStillAccepted')}</Tag>
                      {can('operator') && (
                        <Button size="small" danger onClick={() => confirmRetire(k.fingerprintSha256)}>
                          {td('retireNow')}
                        </Button>
                      )}
                    </>
                  )}
                </Space>
              ))}
        </Descriptions.Item>
      </Descriptions>
    </div>
  );
}
