import { Button, Form, Input, Space, Tag, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import type { ReleaseKey } from '@mpop/contracts';
import { RELEASE_KEY_PEM_MAX } from '@mpop/contracts';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { useFeedback } from '../../components/feedback';
import { OperationLinks } from '../../components/OperationLinks';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import '../../i18n/release-key-messages';
import { OrganisationListModal, useOrganisationList } from './OrganisationListModal';
import { addReleaseKey, listReleaseKeys, removeReleaseKey, shortFingerprint } from './release-keys-api';

/**
 * The release keys of one organisation: everyone who sees the organisation sees them (they are public keys);
 * admins and the organisation's owners add one (pasted, or read from a chosen file) and remove one after
 * confirming. The server refuses a private key pasted by mistake without storing it.
 */
export function ReleaseKeysModal({ organisation, onClose }: { organisation?: { orgId: string; name: string }; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const { message } = useFeedback();
  const place = usePlaceOnFields();
  const orgId = organisation?.orgId;
  const list = useOrganisationList(orgId, listReleaseKeys);
  const [form] = Form.useForm<{ pem: string }>();
  const add = useFormSubmit(
    form,
    async (v) => {
      if (!orgId) return;
      const key = await addReleaseKey(orgId, v.pem.trim());
      void message.success(t('releaseKeyAdded', { algorithm: key.algorithm, fingerprint: shortFingerprint(key.fingerprintSha256) }));
      form.resetFields();
      list.reload();
    },
    (err) => place(form, err, ['pem'] as const),
  );

  const remove = (k: ReleaseKey) => {
    if (!orgId) return;
    const fingerprint = shortFingerprint(k.fingerprintSha256);
    list.confirmRemove({
      title: t('removeReleaseKeyTitle', { fingerprint }),
      content: t('removeReleaseKeyContent'),
      label: t('removeReleaseKey'),
      remove: () => removeReleaseKey(orgId, k.fingerprintSha256),
      done: t('releaseKeyRemoved', { fingerprint }),
    });
  };

  return (
    <OrganisationListModal<ReleaseKey>
      open={Boolean(organisation)}
      width={820}
      title={t('releaseKeysTitle', { name: organisation?.name ?? '' })}
      intro={<Typography.Paragraph type="secondary">{t('releaseKeysIntro')}</Typography.Paragraph>}
      list={list}
      add={{
        error: add.error,
        form: (
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
        ),
      }}
      empty={t('releaseKeysEmpty')}
      rowKey={(k) => k.fingerprintSha256}
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
        // Only those who may remove a key see the column: everyone else only reads the list.
        ...(list.canManage
          ? [
              {
                key: 'operation',
                title: t('operation'),
                render: (k: ReleaseKey) => (
                  <OperationLinks operations={[{ key: 'remove', label: t('removeReleaseKey'), danger: true, onClick: () => remove(k) }]} />
                ),
              },
            ]
          : []),
      ]}
      onClose={onClose}
    />
  );
}
