import type { ReactNode } from 'react';
import { Form, Input } from 'antd';
import { useI18n } from '../i18n/i18n';

/** The rules of a new password (the server's: 12 characters at least). */
export function usePasswordRules() {
  const { t } = useI18n();
  return [
    { required: true, message: t('passwordRequired') },
    { min: 12, message: t('passwordTooShort') },
  ];
}

/** A new password and its confirmation, which must match; `name` is the form field of the password. */
export function NewPasswordFields({ name, extra }: { name: string; extra?: ReactNode }) {
  const { t } = useI18n();
  const rules = usePasswordRules();
  return (
    <>
      <Form.Item label={t('newPassword')} name={name} rules={rules} extra={extra}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        label={t('confirmNewPassword')}
        name="confirm"
        dependencies={[name]}
        rules={[
          { required: true, message: t('passwordRequired') },
          ({ getFieldValue }) => ({
            validator: (_, v) => (!v || v === getFieldValue(name) ? Promise.resolve() : Promise.reject(new Error(t('passwordsDiffer')))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}
