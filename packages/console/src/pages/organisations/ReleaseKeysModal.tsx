import { Button, Empty, Form, Input, Modal, Space, Tag, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import type { ReleaseKey } from '@mpop/contracts';
import { RELEASE_KEY_PEM_MAX } from '@mpop/contracts';
import { ProblemAlert, usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { useCan, useMemberships } from '../../auth/use-role';
import { DataTable } from '../../components/DataTable';
import { useFeedback } from '../../components/feedback';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import '../../i18n/release-key-messages';
import { addReleaseKey, listReleaseKeys, removeReleaseKey, shortFingerprint } from './release-keys-api';

/**
 * The release keys of one organisation: everyone who sees the organisation sees them (they are public keys);
 * admins and the organisation's owners add one (pasted, or read from a chosen file) and remove one after
 * confirming. The server refuses a private key pasted by mistake without storing it.
 */
export function ReleaseKeysModal({ organisation, onClose }: { organisation?: { orgId: string; name: string }; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const place = usePlaceOnFields();
  const isAdmin = useCan()('admin');
  const memberships = useMemberships();
  const orgId = organisation?.orgId;
  const canManage = isAdmin || memberships.some((m) => m.orgId === orgId && m.role === 'owner');
  const { data, error, loading, reload } = useRequest(
    (signal) => (orgId ? listReleaseKeys(orgId, signal) : Promise.resolve({ items: [] as ReleaseKey[] })),
    [orgId],
  );
  const [form] = Form.useForm<{ pem: string }>();
  const add = useFormSubmit(
    form,
    async (v) => {
      if (!orgId) return;
      const key = await addReleaseKey(orgId, v.pem.trim());
      void message.success(t('releaseKeyAdded', { algorithm: key.algorithm, fingerprint: shortFingerprint(key.fingerprintSha256) }));
      form.resetFields();
      reload();
    },
    (err) => place(form, err, ['pem'] as const),
  );

  const operations = (k: ReleaseKey): Operation[] =>
    canManage && orgId
      ? [
          {
            key: 'remove',
            label: t('removeReleaseKey'),
            danger: true,
            onClick: () =>
              modal.confirm({
                title: t('removeReleaseKeyTitle', { fingerprint: shortFingerprint(k.fingerprintSha256) }),
                content: t('removeReleaseKeyContent'),
                okText: t('removeReleaseKey'),
                okButtonProps: { danger: true },
                cancelText: t('cancel'),
                onOk: async () => {
                  try {
                    await removeReleaseKey(orgId, k.fingerprintSha256);
                    void message.success(t('releaseKeyRemoved', { fingerprint: shortFingerprint(k.fingerprintSha256) }));
                    reload();
                  } catch (err) {
                    notice(err);
                  }
                },
              }),
          },
        ]
      : [];

  return (
    <Modal
      open={Boolean(organisation)}
      width={820}
      title={t('releaseKeysTitle', { name: organisation?.name ?? '' })}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('releaseKeysIntro')}</Typography.Paragraph>
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      {canManage && (
        <>
          <ProblemAlert error={add.error} />
          <Form form={form} layout="vertical" onFinish={add.submit} style={{ marginBottom: 16 }}>
            <Form.Item
              name="pem"
              label={t('releaseKeyPem')}
              extra={t('releaseKeyPemHelp')}
              rules={[{ required: true, whitespace: true, message: t('releaseKeyPemRequired') }]}
            >
              <Input.TextArea
                aria-label={t('releaseKeyPem')}
                rows={4}
                maxLength={RELEASE_KEY_PEM_MAX}
                spellCheck={false}
                placeholder="-----BEGIN PUBLIC KEY-----"
                style={{ fontFamily: 'monospace' }}
              />
            </Form.Item>
            <Space>
              <Upload
                accept=".pem,.pub,.txt"
                maxCount={1}
                showUploadList={false}
                beforeUpload={(file) => {
                  // Read here, never uploaded as a file: only the text goes to the server, as if pasted.
                  void file.text().then((text) => form.setFieldsValue({ pem: text.slice(0, RELEASE_KEY_PEM_MAX) }));
                  return false;
                }}
              >
                <Button icon={<UploadOutlined />}>{t('releaseKeyChooseFile')}</Button>
              </Upload>
              <Button type="primary" htmlType="submit" loading={add.busy}>
                {t('addReleaseKey')}
              </Button>
            </Space>
          </Form>
        </>
      )}
      <DataTable<ReleaseKey>
        label={t('releaseKeysTitle', { name: organisation?.name ?? '' })}
        rowKey={(k) => k.fingerprintSha256}
        loading={loading}
        rows={data?.items}
        empty={error ? null : <Empty description={t('releaseKeysEmpty')} />}
        columns={[
          {
            key: 'fingerprint',
            title: t('releaseKeyFingerprintLabel'),
            render: (k) => <code style={{ wordBreak: 'break-all' }}>{k.fingerprintSha256}</code>,
          },
          {
            key: 'algorithm',
            title: t('algorithm'),
            nowrap: true,
            render: (k) => <Tag>{k.algorithm === 'RSA' ? `RSA ${k.bits}` : k.algorithm}</Tag>,
          },
          { key: 'createdBy', title: t('addedBy'), from: 'lg', render: (k) => k.createdBy },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (k) => format.dateTime(k.createdAt) },
          ...(canManage
            ? [{ key: 'operation', title: t('operation'), render: (k: ReleaseKey) => <OperationLinks operations={operations(k)} /> }]
            : []),
        ]}
      />
    </Modal>
  );
}
