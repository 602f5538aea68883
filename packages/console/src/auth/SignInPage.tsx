import { useState } from 'react';
import { Alert, Button, Form, Input, theme } from 'antd';
import { Navigate, useSearchParams } from 'react-router';
import { ProblemAlert } from '../api/problem';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { useSession } from './use-session';

/** Sign-in; afterwards the user goes back to where they were (`?next=`). */
export function SignInPage() {
  const { t } = useI18n();
  const { token } = theme.useToken();
  const { user, expired, signIn } = useSession();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const next = params.get('next');
  const target = next?.startsWith('/') && !next.startsWith('//') ? next : '/host-apps';
  if (user) return <Navigate to={target} replace />;

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn(values.username, values.password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <main
        style={{
          width: 380,
          maxWidth: 'calc(100vw - 32px)',
          padding: token.paddingLG,
          background: token.colorBgContainer,
          borderRadius: token.borderRadiusLG,
          boxShadow: token.boxShadowTertiary,
        }}
      >
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
          <h1 style={{ margin: 0, fontSize: token.fontSizeHeading3, fontWeight: token.fontWeightStrong }}>{t('signInTitle')}</h1>
          <LanguageSwitch />
        </div>
        <p style={{ color: token.colorTextSecondary }}>{t('appTitle')}</p>
        {expired && <Alert type="warning" showIcon message={t('sessionExpired')} style={{ marginBottom: 16 }} />}
        {/* On this page a 401 means the user name or the password is wrong, not that a session ended. */}
        <ProblemAlert error={error} overrides={{ UNAUTHENTICATED: t('wrongCredentials') }} />
        <Form layout="vertical" onFinish={submit}>
          <Form.Item label={t('username')} name="username" rules={[{ required: true, message: t('usernameRequired') }]}>
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label={t('password')} name="password" rules={[{ required: true, message: t('passwordRequired') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('signIn')}
          </Button>
        </Form>
      </main>
    </div>
  );
}
