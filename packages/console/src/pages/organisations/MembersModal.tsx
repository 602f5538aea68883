import { Button, Empty, Form, Input, Modal, Select, Space, Tag } from 'antd';
import { USERNAME_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import type { Member, OrgRole, Organisation } from '@mpop/contracts';
import { ProblemAlert, usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { orgRoleLabel, useCan, useMemberships } from '../../auth/use-role';
import { DataTable } from '../../components/DataTable';
import { useFeedback } from '../../components/feedback';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';

const ORG_ROLES: OrgRole[] = ['owner', 'developer'];

/**
 * The members of one organisation and their roles. Admins and the organisation's owners add members, change their
 * role and remove them; the last owner stays (the server refuses with LAST_OWNER too).
 */
export function MembersModal({ organisation, onClose }: { organisation?: Organisation; onClose: () => void }) {
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
    (signal) => (orgId ? api.listMembers(orgId, signal) : Promise.resolve({ items: [] as Member[] })),
    [orgId],
  );
  const [form] = Form.useForm<{ username: string; role: OrgRole }>();
  const add = useFormSubmit(
    form,
    async (v) => {
      if (!orgId) return;
      const username = v.username.trim();
      await api.setMember(orgId, username, v.role);
      void message.success(t('memberAdded', { name: username, role: t(orgRoleLabel(v.role)) }));
      form.resetFields(['username']);
      reload();
    },
    (err) => place(form, err, ['username', 'role'] as const),
  );
  const owners = data?.items.filter((m) => m.role === 'owner').length ?? 0;

  const act = async (call: () => Promise<unknown>, done: string) => {
    try {
      await call();
      void message.success(done);
      reload();
    } catch (err) {
      notice(err);
    }
  };
  const operations = (m: Member): Operation[] => {
    if (!canManage || !orgId) return [];
    const lastOwner = m.role === 'owner' && owners <= 1;
    const guard = lastOwner ? { disabled: true, tooltip: t('lastOwnerHint') } : {};
    const other: OrgRole = m.role === 'owner' ? 'developer' : 'owner';
    return [
      {
        key: 'role',
        label: `${t('changeRole')}: ${t(orgRoleLabel(other))}`,
        onClick: () => void act(() => api.setMember(orgId, m.username, other), t('memberRoleChanged', { name: m.username })),
        ...guard,
      },
      {
        key: 'remove',
        label: t('removeMember'),
        danger: true,
        onClick: () =>
          modal.confirm({
            title: t('removeMemberTitle', { name: m.username, org: organisation?.name ?? '' }),
            content: t('removeMemberContent'),
            okText: t('removeMember'),
            okButtonProps: { danger: true },
            cancelText: t('cancel'),
            onOk: () => act(() => api.removeMember(orgId, m.username), t('memberRemoved', { name: m.username })),
          }),
        ...guard,
      },
    ];
  };

  return (
    <Modal
      open={Boolean(organisation)}
      width={760}
      title={t('membersTitle', { name: organisation?.name ?? '' })}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('close')}</Button>}
      destroyOnHidden
    >
      <ProblemAlert error={error} title={t('loadFailed')} onRetry={reload} />
      {canManage && (
        <>
          <ProblemAlert error={add.error} />
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
        </>
      )}
      <DataTable<Member>
        label={t('membersTitle', { name: organisation?.name ?? '' })}
        rowKey={(m) => m.username}
        loading={loading}
        rows={data?.items}
        empty={error ? null : <Empty description={t('membersEmpty')} />}
        columns={[
          { key: 'username', title: t('username'), render: (m) => <strong>{m.username}</strong> },
          {
            key: 'role',
            title: t('orgRole'),
            render: (m) => (
              <Space size={4}>
                <Tag color={m.role === 'owner' ? 'gold' : 'blue'}>{t(orgRoleLabel(m.role))}</Tag>
              </Space>
            ),
          },
          { key: 'addedAt', title: t('createdAt'), from: 'lg', nowrap: true, render: (m) => format.dateTime(m.addedAt) },
          { key: 'operation', title: t('operation'), render: (m) => <OperationLinks operations={operations(m)} inline={2} /> },
        ]}
      />
    </Modal>
  );
}
