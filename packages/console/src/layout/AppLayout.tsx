import { Button, Layout, Menu, Space, Typography } from 'antd';
import { AppstoreOutlined, LogoutOutlined } from '@ant-design/icons';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../auth/use-session';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';

/** Signed-in frame: the menu App Management > Host App, the user and sign-out. Signed-out users go to sign in. */
export function AppLayout() {
  const { t } = useI18n();
  const { user, signOut } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  if (user === undefined) return null;
  if (user === null) {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  const selected = location.pathname.startsWith('/mini-programs') ? 'mini-programs' : 'host-apps';
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={220} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
        <div style={{ padding: 16, fontWeight: 600 }}>mpop · {t('appTitle')}</div>
        <Menu
          mode="inline"
          selectedKeys={[selected]}
          defaultOpenKeys={['app-management']}
          items={[
            {
              key: 'app-management',
              icon: <AppstoreOutlined />,
              label: t('appManagement'),
              children: [
                { key: 'host-apps', label: t('hostApp'), onClick: () => navigate('/host-apps') },
                { key: 'mini-programs', label: t('miniPrograms'), onClick: () => navigate('/mini-programs') },
              ],
            },
          ]}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Space>
            <LanguageSwitch />
            <Typography.Text>
              {user.username} ({user.role})
            </Typography.Text>
            <Button icon={<LogoutOutlined />} onClick={() => void signOut()}>
              {t('signOut')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
