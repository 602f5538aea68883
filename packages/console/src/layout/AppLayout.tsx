import { lazy, Suspense, useState } from 'react';
import { Button, Dropdown, Grid, Menu, type MenuProps, Space, Spin, Tag, theme } from 'antd';
import { DownOutlined, LockOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { roleLabel, useAccess } from '../auth/use-role';
import { useSession } from '../auth/use-session';
import { FeedbackRoot } from '../components/feedback';
import { LazyDialog } from '../components/LazyDialog';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { homePath, NAV, NAV_GROUPS, navEntryOf } from './nav';

// Only someone who followed an old link meets it: its illustration stays out of every page's first download.
const NoAccessPage = lazy(() => import('./NoAccessPage').then((m) => ({ default: m.NoAccessPage })));
const ChangePasswordModal = lazy(() => import('../auth/ChangePasswordModal').then((m) => ({ default: m.ChangePasswordModal })));

/**
 * Signed-in frame: the menu (only the pages the role may open: the Admin Backend for platform roles, the Developer
 * Backend for members of organisations), the user menu (Change Password, Sign Out). A page the user may not open
 * says so instead of loading; `/` leads to where the user starts. Signed-out users go to sign in. Below 1200 px the menu folds to icons (80 px, antd's folded menu), so lists keep
 * their width at 1024 px.
 */
export function AppLayout() {
  const { t } = useI18n();
  const { token } = theme.useToken();
  const { user, signOut } = useSession();
  const access = useAccess();
  const screens = Grid.useBreakpoint();
  const location = useLocation();
  const navigate = useNavigate();
  const [changingPassword, setChangingPassword] = useState(false);
  if (user === undefined) return null;
  if (user === null) {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  // Before the first measurement every breakpoint reads false: start wide, as most screens are.
  const collapsed = Object.keys(screens).length > 0 && !screens.xl;
  if (location.pathname === '/') return <Navigate to={homePath(Boolean(user.role))} replace />;
  const current = navEntryOf(location.pathname);
  const allowed = !current || access(current.access);
  const menu: MenuProps['items'] = NAV_GROUPS.map((g) => ({
    type: 'group' as const,
    key: g.key,
    label: collapsed ? undefined : t(g.label),
    children: NAV.filter((n) => n.group === g.key && access(n.access)).map((n) => ({
      key: n.path,
      icon: n.icon,
      label: t(n.label),
      onClick: () => navigate(n.path),
    })),
  })).filter((g) => g.children.length > 0);
  const userMenu: MenuProps['items'] = [
    { key: 'password', icon: <LockOutlined />, label: t('changePassword'), onClick: () => setChangingPassword(true) },
    { type: 'divider' },
    { key: 'sign-out', icon: <LogoutOutlined />, label: t('signOut'), onClick: () => void signOut() },
  ];
  const line = `1px solid ${token.colorBorderSecondary}`;
  return (
    <div style={{ display: 'flex', minHeight: '100vh', background: token.colorBgLayout }}>
      <nav
        aria-label={t('appTitle')}
        style={{
          width: collapsed ? 64 : 220,
          flex: 'none',
          background: token.colorBgContainer,
          borderInlineEnd: line,
          transition: 'width 0.2s',
        }}
      >
        <div style={{ padding: 16, lineHeight: 1.3 }}>
          <div style={{ fontWeight: 600, fontSize: token.fontSizeLG }}>mpop</div>
          {!collapsed && <div style={{ color: token.colorTextSecondary, fontSize: token.fontSizeSM }}>{t('appTitle')}</div>}
        </div>
        <Menu
          mode="inline"
          inlineCollapsed={collapsed}
          selectedKeys={current ? [current.path] : []}
          items={menu}
          style={{ borderInlineEnd: 'none' }}
        />
      </nav>
      <div style={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}>
        <header
          style={{
            height: 64,
            background: token.colorBgContainer,
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
            borderBottom: line,
            paddingInline: 24,
          }}
        >
          {/* Which side of the platform this page belongs to. */}
          <span style={{ color: token.colorTextSecondary }}>
            {current && t(current.group === 'developer' ? 'developerBackend' : 'adminBackend')}
          </span>
          <Space>
            <LanguageSwitch />
            <Dropdown trigger={['click']} menu={{ items: userMenu }}>
              <Button icon={<UserOutlined />} aria-label={`${t('userMenu')} ${user.username}`}>
                {user.username} <Tag style={{ marginInline: 4 }}>{t(roleLabel(user.role))}</Tag>
                <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        </header>
        <main style={{ padding: 24, minWidth: 0 }}>
          <Suspense fallback={<Spin style={{ display: 'block', marginTop: 64 }} />}>{allowed ? <Outlet /> : <NoAccessPage />}</Suspense>
        </main>
      </div>
      <FeedbackRoot />
      <LazyDialog open={changingPassword}>
        <ChangePasswordModal open={changingPassword} onClose={() => setChangingPassword(false)} />
      </LazyDialog>
    </div>
  );
}
