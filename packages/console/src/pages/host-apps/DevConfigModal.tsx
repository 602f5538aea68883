import { useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal, Upload, type UploadFile } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import type { DevConfig, HostApp } from '@mpop/contracts';
import { PRIVATE_KEY_MAX_BYTES } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n/i18n';

const KEY_CODES = new Set([
  'INVALID_PRIVATE_KEY',
  'NOT_A_PRIVATE_KEY',
  'ENCRYPTED_PRIVATE_KEY',
  'UNSUPPORTED_KEY_TYPE',
  'KEY_TOO_WEAK',
  'PAYLOAD_TOO_LARGE',
]);
/** A quick client-side check; the server's validation is the authority and its detail is shown as is. */
const HOST_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/i;

interface Props {
  app?: HostApp;
  onClose: () => void;
  onSaved: (config: DevConfig) => void;
}

/** "Make development configuration": Virtual Domain + Private Key File → Confirm. */
export function DevConfigModal({ app, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ virtualDomain: string; privateKey?: unknown }>();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [current, setCurrent] = useState<DevConfig | null>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setFiles([]);
    setError(undefined);
    setCurrent(undefined);
    if (!app) return;
    form.resetFields();
    if (app.devConfigured) {
      api.getDevConfig(app.workspaceId, app.appId).then(
        (c) => {
          setCurrent(c);
          form.setFieldsValue({ virtualDomain: c.virtualDomain });
        },
        () => setCurrent(null),
      );
    } else setCurrent(null);
  }, [app, form]);

  const submit = async () => {
    if (!app) return;
    const file = files[0]?.originFileObj as File | undefined;
    form.setFields([{ name: 'privateKey', errors: [] }]);
    const values = await form.validateFields(['virtualDomain']).catch(() => undefined); // field errors are shown by the form
    if (!values) return;
    if (!file && !current) {
      form.setFields([{ name: 'privateKey', errors: [t('privateKeyRequired')] }]);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const saved = await api.setDevConfig(app.workspaceId, app.appId, values.virtualDomain.trim(), file);
      onSaved(saved);
    } catch (err) {
      if (!(err instanceof ApiError)) setError(String(err));
      else if (err.code === 'INVALID_VIRTUAL_DOMAIN') form.setFields([{ name: 'virtualDomain', errors: [err.problem.detail] }]);
      else if (KEY_CODES.has(err.code) || err.fieldMessage('privateKey'))
        form.setFields([{ name: 'privateKey', errors: [err.problem.detail] }]);
      else setError(err.problem.detail);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={Boolean(app)}
      title={`${t('makeDevConfig')}${app ? ` · ${app.name}` : ''}`}
      onCancel={onClose}
      onOk={submit}
      okText={t('confirm')}
      cancelText={t('cancel')}
      confirmLoading={busy}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon message={error} role="alert" style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item
          label={t('virtualDomain')}
          name="virtualDomain"
          extra={t('virtualDomainHelp')}
          rules={[
            { required: true, whitespace: true, message: t('virtualDomainRequired') },
            {
              validator: (_, v: string) =>
                !v || HOST_NAME.test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('virtualDomainInvalid'))),
            },
          ]}
        >
          <Input placeholder="example.com" />
        </Form.Item>
        <Form.Item
          label={t('privateKeyFile')}
          name="privateKey"
          extra={current ? t('privateKeyKeep', { fileName: current.privateKey.fileName }) : t('privateKeyHelp')}
        >
          <Upload
            accept=".pem,.key,.txt"
            maxCount={1}
            fileList={files}
            beforeUpload={(file) => {
              if (file.size > PRIVATE_KEY_MAX_BYTES) {
                form.setFields([
                  { name: 'privateKey', errors: ['The private key file is larger than 16 KiB; an RSA private key PEM is about 2-4 KiB.'] },
                ]);
                return Upload.LIST_IGNORE;
              }
              form.setFields([{ name: 'privateKey', errors: [] }]);
              setFiles([{ uid: file.uid, name: file.name, originFileObj: file, status: 'done' }]);
              return false;
            }}
            onRemove={() => setFiles([])}
          >
            <Button icon={<UploadOutlined />}>{t('selectFile')}</Button>
          </Upload>
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}
