import { useEffect } from 'react';
import { Form, Input } from 'antd';
import type { HostApp } from '@mpop/contracts';
import { NAME_MAX } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';

/** Rename a host app (PATCH name): a name already taken in its workspace is said next to the field. */
export function RenameModal({ app, onClose, onRenamed }: { app?: HostApp; onClose: () => void; onRenamed: (app: HostApp) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string }>();
  const place = usePlaceOnFields();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      if (!app) return;
      onRenamed(await api.updateHostApp(app.workspaceId, app.appId, { name: v.name.trim() }));
    },
    (err) => place(form, err, ['name']),
  );
  useEffect(() => {
    setError(undefined);
    if (app) form.setFieldsValue({ name: app.name });
  }, [app, form, setError]);
  return (
    <FormModal
      open={Boolean(app)}
      title={`${t('rename')}${app ? ` · ${app.appId}` : ''}`}
      onCancel={onClose}
      onOk={submit}
      busy={busy}
      error={error}
    >
      <Form form={form} layout="vertical" initialValues={{ name: app?.name }}>
        <Form.Item
          label={t('appName')}
          name="name"
          rules={[
            { required: true, whitespace: true, message: t('appNameRequired') },
            { max: NAME_MAX, message: t('appNameTooLong') },
          ]}
        >
          <Input autoFocus />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
