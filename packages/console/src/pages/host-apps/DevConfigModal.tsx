import { useEffect, useState } from 'react';
import { Button, Form, Input, Upload, type UploadFile } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import type { DevConfig, HostApp } from '@mpop/contracts';
import { PRIVATE_KEY_MAX_BYTES } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { usePlaceOnFields } from '../../api/problem';
import { useRequest } from '../../api/use-request';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';

/** A quick client-side check; the server's validation is the authority and its problem is shown under the field. */
const HOST_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/i;
const FIELDS = ['virtualDomain', 'privateKey'] as const;

interface Props {
  app?: HostApp;
  onClose: () => void;
  onSaved: (config: DevConfig) => void;
}

/** "Make Development Configuration": virtual domain + private key file → Confirm. */
export function DevConfigModal({ app, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<{ virtualDomain: string; privateKey?: unknown }>();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // The current configuration (when there is one) names the key that is kept when no new file is chosen.
  const existing = useRequest((signal) => api.getDevConfig(app!.workspaceId, app!.appId, signal), [app], {
    enabled: Boolean(app?.devConfigured),
    resetOnChange: true,
  });
  // null: none (or it could not be read: a key is then asked for); undefined: still reading.
  const current: DevConfig | null | undefined = !app?.devConfigured ? null : existing.error ? null : existing.data;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the form starts over whenever another app is picked
  useEffect(() => {
    setFiles([]);
    setError(undefined);
    if (app) form.resetFields();
  }, [app]);
  useEffect(() => {
    if (existing.data) form.setFieldsValue({ virtualDomain: existing.data.virtualDomain });
  }, [existing.data, form]);

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
      onSaved(await api.setDevConfig(app.workspaceId, app.appId, values.virtualDomain.trim(), file));
    } catch (err) {
      // A refused key file is not kept as if it were chosen: the field shows why, and a new file is needed.
      if (err instanceof ApiError && err.fieldMessage('privateKey') !== undefined) setFiles([]);
      if (!place(form, err, FIELDS)) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormModal
      open={Boolean(app)}
      title={`${t(app?.devConfigured ? 'changeDevConfig' : 'makeDevConfig')}${app ? ` · ${app.name}` : ''}`}
      onCancel={onClose}
      onOk={submit}
      busy={busy}
      error={error}
    >
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
          required={current === null}
          extra={current ? t('privateKeyKeep', { fileName: current.privateKey.fileName }) : t('privateKeyHelp')}
        >
          <Upload
            accept=".pem,.key,.txt"
            maxCount={1}
            fileList={files}
            beforeUpload={(file) => {
              if (file.size > PRIVATE_KEY_MAX_BYTES) {
                form.setFields([{ name: 'privateKey', errors: [t('privateKeyTooLarge')] }]);
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
    </FormModal>
  );
}
