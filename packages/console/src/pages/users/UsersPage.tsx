import { useState } from 'react';
import { Button, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { User } from '@mpop/contracts';
import { api } from '../../api/endpoints';
import { useProblemNotice } from '../../api/use-problem-notice';
import { useRequest } from '../../api/use-request';
import { roleLabel } from '../../auth/use-role';
import { useSession } from '../../auth/use-session';
import { ListView } from '../../components/ListView';
import { OperationLinks, type Operation } from '../../components/OperationLinks';
import { PagePanel } from '../../components/PagePanel';
import { useFormat } from '../../i18n/format';
import { useI18n } from '../../i18n/i18n';
import { RequireRole } from '../../layout/RequireRole';
import { AddUserModal, ChangeRoleModal, ResetPasswordModal } from './UserDialogs';
import { useFeedback } from '../../components/feedback';

/** Administration > Users (admin only). */
export function UsersPage() {
  return (
    <RequireRole need="admin">
      <UserList />
    </RequireRole>
  );
}

/**
 * Add with a role, change the role, reset the password, disable or enable, delete. The last enabled admin's
 * Change Role, Disable and Delete are shown disabled with the reason, as the server would refuse them.
 */
function UserList() {
  const { t } = useI18n();
  const format = useFormat();
  const { user: me, refresh } = useSession();
  const { message, modal } = useFeedback();
  const notice = useProblemNotice();
  const { data, error, loading, reload } = useRequest((signal) => api.listUsers(signal), []);
  const [adding, setAdding] = useState(false);
  const [changingRole, setChangingRole] = useState<User>();
  const [resetting, setResetting] = useState<User>();
  const users = data?.items ?? [];
  const enabledAdmins = users.filter((u) => u.role === 'admin' && !u.disabled).length;

  const update = async (u: User, body: { disabled: boolean }) => {
    try {
      await api.updateUser(u.username, body);
      void message.success(t('userUpdated', { name: u.username }));
      reload();
    } catch (err) {
      notice(err);
    }
  };
  const confirmDisable = (u: User) =>
    modal.confirm({
      title: t('disableUserTitle', { name: u.username }),
      content: t('disableUserContent'),
      okText: t('confirm'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: () => update(u, { disabled: true }),
    });
  const confirmDelete = (u: User) =>
    modal.confirm({
      title: t('deleteUserTitle', { name: u.username }),
      content: t('deleteUserContent'),
      okText: t('confirm'),
      okButtonProps: { danger: true },
      cancelText: t('cancel'),
      onOk: async () => {
        try {
          await api.deleteUser(u.username);
          void message.success(t('userDeleted', { name: u.username }));
          reload();
        } catch (err) {
          notice(err);
        }
      },
    });

  const operations = (u: User): Operation[] => {
    const lastAdmin = u.role === 'admin' && !u.disabled && enabledAdmins <= 1;
    const guard = lastAdmin ? { disabled: true, tooltip: t('lastAdminHint') } : {};
    return [
      { key: 'role', label: t('changeRole'), onClick: () => setChangingRole(u), ...guard },
      { key: 'password', label: t('resetPassword'), onClick: () => setResetting(u) },
      u.disabled
        ? { key: 'enable', label: t('enable'), onClick: () => void update(u, { disabled: false }) }
        : { key: 'disable', label: t('disable'), onClick: () => confirmDisable(u), ...guard },
      { key: 'delete', label: t('delete'), danger: true, onClick: () => confirmDelete(u), ...guard },
    ];
  };

  return (
    <PagePanel
      title={t('users')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
          {t('addUser')}
        </Button>
      }
    >
      <ListView<User>
        error={error}
        onRetry={reload}
        label={t('users')}
        rowKey={(u) => u.username}
        loading={loading}
        rows={data?.items}
        columns={[
          {
            key: 'username',
            title: t('username'),
            render: (u) => (
              <>
                <strong>{u.username}</strong>
                {u.username === me?.username && <Tag style={{ marginLeft: 8 }}>{t('you')}</Tag>}
              </>
            ),
          },
          {
            key: 'role',
            title: t('role'),
            render: (u) => (
              <Tag color={u.role === 'admin' ? 'gold' : u.role === 'operator' ? 'blue' : undefined}>{t(roleLabel(u.role))}</Tag>
            ),
          },
          {
            key: 'state',
            title: t('userState'),
            render: (u) => (u.disabled ? <Tag color="red">{t('disabled')}</Tag> : <Tag color="green">{t('enabled')}</Tag>),
          },
          { key: 'createdAt', title: t('createdAt'), from: 'xl', nowrap: true, render: (u) => format.dateTime(u.createdAt) },
          { key: 'operation', title: t('operation'), render: (u) => <OperationLinks operations={operations(u)} inline={2} /> },
        ]}
      />
      <AddUserModal
        open={adding}
        onClose={() => setAdding(false)}
        onDone={(u) => {
          setAdding(false);
          void message.success(t('userAdded', { name: u.username }));
          reload();
        }}
      />
      <ChangeRoleModal
        user={changingRole}
        onClose={() => setChangingRole(undefined)}
        onDone={(u) => {
          setChangingRole(undefined);
          void message.success(t('userUpdated', { name: u.username }));
          // An admin who gave up their own admin role sees the console of their new role at once.
          if (u.username === me?.username) void refresh();
          reload();
        }}
      />
      <ResetPasswordModal
        user={resetting}
        onClose={() => setResetting(undefined)}
        onDone={(u) => {
          setResetting(undefined);
          void message.success(t('passwordResetDone', { name: u.username }));
          reload();
        }}
      />
    </PagePanel>
  );
}
