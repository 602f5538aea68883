import { Button, Form, Input, Select, Tag } from 'antd';
import { USERNAME_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import type { Member, OrgRole, Organisation } from '@mpop/contracts';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { orgRoleLabel } from '../../auth/use-role';
import type { Operation } from '../../components/OperationLinks';
import { OperationLinks } from '../../components/OperationLinks';
import { useFeedback } from '../../components/feedback';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';
import { OrganisationListModal, useOrganisationList } from './OrganisationListModal';

const ORG_ROLES: OrgRole[] = ['owner', 'developer'];

/**
 * The members of one organisation and their roles. Admins and the organisation's owners add members, change their
 * role and remove them; the last owner stays (the server refuses with LAST_OWNER too).
 */
export function MembersModal({ organisation, onClose }: { organisation?: Organisation; onClose: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const { message } = useFeedback();
  const place = usePlaceOnFields();
  const orgId = organisation?.orgId;
  const list = useOrganisationList(orgId, api.listMembers);
  const [form] = Form.useForm<{ username: string; role: OrgRole }>();
  const add = useFormSubmit(
    form,
    async (v) => {
      if (!orgId) return;
      const username = v.username.trim();
      await api.setMember(orgId, username, v.role);
      void message.success(t('memberAdded', { name: username, role: t(orgRoleLabel(v.role)) }));
      form.resetFields(['username']);
      list.reload();
    },
    (err) => place(form, err, ['username', 'role'] as const),
  );
  const owners = list.data?.items.filter((m) => m.role === 'owner').length ?? 0;

  const operations = (m: Member): Operation[] => {
    if (!list.canManage || !orgId) return [];
    const lastOwner = m.role === 'owner' && owners <= 1;
    const guard = lastOwner ? { disabled: true, tooltip: t('lastOwnerHint') } : {};
    const other: OrgRole = m.role === 'owner' ? 'developer' : 'owner';
    return [
      {
        key: 'role',
        label: `${t('changeRole')}: ${t(orgRoleLabel(other))}`,
        onClick: () => void list.act(() => api.setMember(orgId, m.username, other), t('memberRoleChanged', { name: m.username })),
        ...guard,
      },
      {
        key: 'remove',
        label: t('removeMember'),
        danger: true,
        onClick: () =>
          list.confirmRemove({
            title: t('removeMemberTitle', { name: m.username, org: organisation?.name ?? '' }),
            content: t('removeMemberContent'),
            label: t('removeMember'),
            remove: () => api.removeMember(orgId, m.username),
            done: t('memberRemoved', { name: m.username }),
          }),
        ...guard,
      },
    ];
  };

  return (
    <OrganisationListModal<Member>
      open={Boolean(organisation)}
      width={760}
      title={t('membersTitle', { name: organisation?.name ?? '' })}
      list={list}
      add={{
        error: add.error,
        form: (
          <Form form={form} layout="inline" onFinish={add.submit} initialValues={{ role: 'developer' }} style={{ marginBottom: 16 }}>
            <Form.Item
              name="username"
              rules={[
                { required: true, whitespace: true, message: t('usernameRequired') },
                { pattern: new RegExp(USERNAME_PATTERN), message: t('usernameInvalid') },
              ]}
            >
              <Input aria-label={t('username')} placeholder={t('username')} autoComplete="off" style={{ width: 220 }} />
            </Form.Item>
            <Form.Item name="role">
              <Select<OrgRole>
                aria-label={t('orgRole')}
                style={{ width: 140 }}
                options={ORG_ROLES.map((r) => ({ value: r, label: t(orgRoleLabel(r)) }))}
              />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={add.busy}>
              {t('addMember')}
            </Button>
          </Form>
        ),
      }}
      empty={t('membersEmpty')}
      rowKey={(m) => m.username}
      columns={[
        { key: 'username', title: t('username'), render: (m) => <strong>{m.username}</strong> },
        {
          key: 'role',
          title: t('orgRole'),
          render: (m) => <Tag color={m.role === 'owner' ? 'gold' : 'blue'}>{t(orgRoleLabel(m.role))}</Tag>,
        },
        { key: 'addedAt', title: t('createdAt'), from: 'lg', nowrap: true, render: (m) => format.dateTime(m.addedAt) },
        { key: 'operation', title: t('operation'), render: (m) => <OperationLinks operations={operations(m)} inline={2} /> },
      ]}
      onClose={onClose}
    />
  );
}
