import { useState } from 'react';
import { DatePicker, Descriptions, Form, Input, Select, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { CreatedToken } from '@mpop/contracts';
import { type Role, Roles, roleAtLeast } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { roleLabel } from '../../auth/use-role';
import { useSession } from '../../auth/use-session';
import { useFormat } from '../../i18n/format';
import { FormModal } from '../../components/FormModal';
import { SecretShownOnceModal } from '../../components/SecretShownOnceModal';
import { useI18n } from '../../i18n/i18n';
import { useDayjsLocale } from '../../i18n/use-dayjs-locale';
import { RoleSelect } from '../users/UserDialogs';

type Expiry = 'never' | '7' | '30' | '90' | '365' | 'date';
interface Values {
  name: string;
  role: Role;
  expiry: Expiry;
  date?: Dayjs;
}

/** When a token made now with this choice expires (ISO), or undefined for never. */
export function expiryOf(v: Pick<Values, 'expiry' | 'date'>, now = dayjs()): string | undefined {
  if (v.expiry === 'never') return undefined;
  if (v.expiry === 'date') return v.date?.endOf('day').toISOString();
  return now.add(Number(v.expiry), 'day').toISOString();
}

/** "Create Token": name, role (the user's own or lower), expiry; then the token, shown once, with Copy. */
export function CreateTokenModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const { user } = useSession();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<Values>();
  const [created, setCreated] = useState<CreatedToken>();
  const expiry = Form.useWatch('expiry', form);
  const calendarReady = useDayjsLocale();
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      const expiresAt = expiryOf(v);
      setCreated(await api.createToken({ name: v.name.trim(), role: v.role, ...(expiresAt ? { expiresAt } : {}) }));
      onCreated();
    },
    (err) => place(form, err, ['name', 'role'] as const),
  );
  const close = () => {
    setCreated(undefined);
    setError(undefined);
    form.resetFields();
    onClose();
  };
  const myRole = user?.role ?? 'viewer';

  if (created) {
    return (
      <SecretShownOnceModal
        open={open}
        title={t('tokenCreated')}
        warning={t('tokenShownOnce')}
        secret={created.token}
        label={t('apiTokens')}
        copyLabel={t('copyToken')}
        testId="created-token"
        onClose={close}
      >
        <Descriptions column={1} size="small" bordered>
          <Descriptions.Item label={t('tokenName')}>{created.name}</Descriptions.Item>
          <Descriptions.Item label={t('role')}>{t(roleLabel(created.role))}</Descriptions.Item>
          <Descriptions.Item label={t('expiresAt')}>
            {created.expiresAt ? format.dateTime(created.expiresAt) : t('expiryNever')}
          </Descriptions.Item>
        </Descriptions>
      </SecretShownOnceModal>
    );
  }

  return (
    <FormModal open={open} title={t('createToken')} onCancel={close} onOk={submit} busy={busy} error={error}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ role: myRole, expiry: '90' }}>
        <Form.Item
          label={t('tokenName')}
          name="name"
          rules={[
            { required: true, whitespace: true, message: t('tokenNameRequired') },
            { max: 64, message: t('appNameTooLong') },
          ]}
        >
          <Input placeholder="ci-deploy" autoFocus />
        </Form.Item>
        {/* A member-only user's token has no platform role either: it reaches the user's organisations only. */}
        {user?.role && (
          <Form.Item label={t('role')} name="role" extra={t('tokenRoleHelp', { role: t(roleLabel(myRole)) })} rules={[{ required: true }]}>
            <RoleSelect roles={Roles.filter((r) => roleAtLeast(myRole, r))} />
          </Form.Item>
        )}
        <Form.Item label={t('expiry')} name="expiry" rules={[{ required: true }]}>
          <Select<Expiry>
            options={[
              ...(['7', '30', '90', '365'] as const).map((d) => ({ value: d, label: t('expiryDays', { days: d }) })),
              { value: 'date', label: t('expiryDate') },
              { value: 'never', label: t('expiryNever') },
            ]}
          />
        </Form.Item>
        {expiry === 'date' && (
          <Form.Item label={t('expiresAt')} name="date" rules={[{ required: true, message: t('expiryDateRequired') }]}>
            <DatePicker key={String(calendarReady)} disabledDate={(d) => d.isBefore(dayjs(), 'day')} style={{ width: '100%' }} />
          </Form.Item>
        )}
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('tokenShownOnce')}
        </Typography.Paragraph>
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
