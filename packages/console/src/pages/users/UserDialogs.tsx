import { useEffect } from 'react';
import { Form, Input, Select } from 'antd';
import type { User } from '@mpop/contracts';
import { type Role, Roles, USERNAME_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { NewPasswordFields, usePasswordRules } from '../../auth/NewPasswordFields';
import { roleLabel } from '../../auth/use-role';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';
import type { MessageKey } from '../../i18n/messages';

const ROLE_HELP: Record<Role, MessageKey> = { admin: 'roleHelpAdmin', operator: 'roleHelpOperator', viewer: 'roleHelpViewer' };

/** The choice of no platform role: a member of organisations only, who sees only the Developer Backend. */
export const NO_ROLE = 'none';

/** The role picker: each role with what it may do; `roles` limits the choice; `withNone` offers no platform role. */
export function RoleSelect({
  id,
  value,
  onChange,
  roles = Roles,
  withNone = false,
}: {
  /** Set by Form.Item, so the label names the select. */
  id?: string;
  value?: Role | typeof NO_ROLE;
  onChange?: (r: Role | typeof NO_ROLE) => void;
  roles?: readonly Role[];
  withNone?: boolean;
}) {
  const { t } = useI18n();
  const option = (value: Role | typeof NO_ROLE, title: string, help: string) => ({
    value,
    title,
    label: (
      <div>
        <div>{title}</div>
        <div style={{ fontSize: 12, opacity: 0.65, whiteSpace: 'normal' }}>{help}</div>
      </div>
    ),
  });
  return (
    <Select<Role | typeof NO_ROLE>
      id={id}
      value={value}
      onChange={onChange}
      optionLabelProp="title"
      options={[
        ...roles.map((r) => option(r, t(roleLabel(r)), t(ROLE_HELP[r]))),
        ...(withNone ? [option(NO_ROLE, t('roleNone'), t('memberOnlyRole'))] : []),
      ]}
    />
  );
}

/** Password rules shared by the dialogs that set one (the server checks the same: at least 12 characters). */
export function AddUserModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: (u: User) => void }) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<{ username: string; password: string; role: Role | typeof NO_ROLE }>();
  const passwordRules = usePasswordRules();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      // No platform role: the role is left out, and the user reaches only the organisations it is added to.
      const role = v.role === NO_ROLE ? {} : { role: v.role };
      onDone(await api.createUser({ username: v.username.trim(), password: v.password, ...role }));
      form.resetFields();
    },
    (err) => place(form, err, ['username', 'password', 'role'] as const),
  );
  useEffect(() => {
    if (open) setError(undefined);
  }, [open, setError]);
  return (
    <FormModal open={open} title={t('addUser')} onCancel={onClose} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ role: 'viewer' }}>
        <Form.Item
          label={t('username')}
          name="username"
          rules={[
            { required: true, whitespace: true, message: t('usernameRequired') },
            { pattern: new RegExp(USERNAME_PATTERN), message: t('usernameInvalid') },
          ]}
        >
          <Input autoComplete="off" autoFocus />
        </Form.Item>
        <Form.Item label={t('password')} name="password" rules={passwordRules} extra={t('passwordTooShort')}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item label={t('role')} name="role" rules={[{ required: true, message: t('roleRequired') }]}>
          <RoleSelect withNone />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}

export function ChangeRoleModal({ user, onClose, onDone }: { user?: User; onClose: () => void; onDone: (u: User) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ role: Role }>();
  const { submit, busy, error, setError } = useFormSubmit(form, async (v) => {
    if (user) onDone(await api.updateUser(user.username, { role: v.role }));
  });
  useEffect(() => {
    setError(undefined);
    if (user) form.setFieldsValue({ role: user.role ?? undefined });
  }, [user, form, setError]);
  return (
    <FormModal
      open={Boolean(user)}
      title={`${t('changeRole')} · ${user?.username ?? ''}`}
      onCancel={onClose}
      onOk={submit}
      busy={busy}
      error={error}
    >
      <Form form={form} layout="vertical">
        <Form.Item label={t('role')} name="role" rules={[{ required: true, message: t('roleRequired') }]}>
          <RoleSelect />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

export function ResetPasswordModal({ user, onClose, onDone }: { user?: User; onClose: () => void; onDone: (u: User) => void }) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<{ password: string; confirm: string }>();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      if (user) onDone(await api.updateUser(user.username, { password: v.password }));
    },
    (err) => place(form, err, ['password'] as const),
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form starts empty for each user picked
  useEffect(() => {
    setError(undefined);
    form.resetFields();
  }, [user, form, setError]);
  return (
    <FormModal
      open={Boolean(user)}
      title={`${t('resetPassword')} · ${user?.username ?? ''}`}
      onCancel={onClose}
      onOk={submit}
      busy={busy}
      error={error}
    >
      <Form form={form} layout="vertical" onFinish={submit}>
        <NewPasswordFields name="password" extra={t('resetPasswordHint')} />
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
