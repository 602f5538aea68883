import { Form, Input } from 'antd';
import { api } from '../api/endpoints';
import { usePlaceOnFields } from '../api/problem';
import { useFormSubmit } from '../api/use-form-submit';
import { useI18n } from '../i18n/i18n';
import { useFeedback } from '../components/feedback';
import { FormModal } from '../components/FormModal';
import { NewPasswordFields } from './NewPasswordFields';

interface Values {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/** "Change Password" from the user menu: the current password, the new one twice. Other sessions end. */
export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = useFeedback();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<Values>();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      await api.changePassword({ currentPassword: v.currentPassword, newPassword: v.newPassword });
      void message.success(t('passwordChanged'));
      form.resetFields();
      onClose();
    },
    (err) => place(form, err, ['currentPassword', 'newPassword'] as const),
  );
  const close = () => {
    form.resetFields();
    setError(undefined);
    onClose();
  };
  return (
    <FormModal open={open} title={t('changePassword')} onCancel={close} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label={t('currentPassword')} name="currentPassword" rules={[{ required: true, message: t('passwordRequired') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <NewPasswordFields name="newPassword" extra={t('changePasswordHint')} />
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
