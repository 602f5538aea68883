import { Button, Descriptions, Space, Tag, Typography } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { manifestApi } from '../../api/manifest-endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan } from '../../auth/use-role';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/trusted-delivery-messages';

const short = (fingerprint: string) => fingerprint.slice(0, 16);

/**
 * On "View Basic Information": the generation of the host app's signed answers, how long each is valid, the key that
 * signs them, and the replaced keys, each with "Retire now" (operators, after a confirmation).
 */
export function SignedAnswersPanel({ app }: { app: Pick<HostApp, 'workspaceId' | 'appId'> }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const { data, reload } = useRequest((signal) => manifestApi.info(app.workspaceId, app.appId, signal), [app.workspaceId, app.appId]);
  if (!data) return null;

  const confirmRetire = (fingerprint: string) =>
    modal.confirm({
      title: t('retireKeyTitle', { fingerprint: short(fingerprint) }),
      content: t('retireKeyContent'),
      okText: t('retireNow'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await manifestApi.retireKey(app.workspaceId, app.appId, fingerprint);
          message.success(t('keyRetiredDone', { fingerprint: short(fingerprint) }));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  return (
    <div data-testid="signed-answers" style={{ marginTop: 16 }}>
      <Typography.Title level={5}>{t('signedAnswers')}</Typography.Title>
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={t('answerGeneration')}>
          <span data-testid="answer-generation">{data.generation}</span>{' '}
          <Typography.Text type="secondary">{t('answerGenerationHelp')}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('manifestLifetime')}>
          {t('manifestLifetimeValue', { hours: String(data.manifestTtlHours), half: String(data.manifestTtlHours / 2) })}
        </Descriptions.Item>
        {data.keyFingerprint && (
          <Descriptions.Item label={t('signingKey')}>
            <Typography.Text code>{data.keyFingerprint}</Typography.Text>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('replacedKeys')}>
          {data.previousKeys.length === 0
            ? t('noReplacedKeys')
            : data.previousKeys.map((k) => (
                <Space key={k.fingerprintSha256} data-testid={`previous-key-${k.fingerprintSha256}`} wrap style={{ display: 'flex' }}>
                  <Typography.Text code>{short(k.fingerprintSha256)}…</Typography.Text>
                  {k.revokedAt ? (
                    <Tag color="red">{t('keyRetired', { at: format.dateTime(k.revokedAt) })}</Tag>
                  ) : (
                    <>
                      <Tag>{t('keyStillAccepted')}</Tag>
                      {can('operator') && (
                        <Button size="small" danger onClick={() => confirmRetire(k.fingerprintSha256)}>
                          {t('retireNow')}
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
