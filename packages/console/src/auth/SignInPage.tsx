import { useEffect, useState } from 'react';
import { Alert, Button, Divider, Form, Input, theme } from 'antd';
import type { SessionOptions } from '@mpop/contracts';
import { Navigate, useSearchParams } from 'react-router';
import { api } from '../api/endpoints';
import { ProblemAlert } from '../api/problem';
import { useI18n } from '../i18n/i18n';
import { problemsEn, problemsZh } from '../i18n/messages';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { useSession } from './use-session';

/**
 * Sign-in: user name and password, "Sign in with SSO", or both, as the server offers (GET /api/v1/session/options).
 * Afterwards the user goes back to where they were (`?next=`).
 */
/**
 * `next` as a path of this site, read the way the browser reads a relative URL (tabs and line breaks dropped, `\\`
 * taken as `/`: `/\t/evil.example` is another site), or undefined when it would leave the site.
 */
export function sameOriginPath(next: string | null): string | undefined {
  if (!next?.startsWith('/')) return undefined;
  try {
    const url = new URL(next, window.location.origin);
    const place = `${url.pathname}${url.search}${url.hash}`;
    return url.origin === window.location.origin && !place.startsWith('//') ? place : undefined;
  } catch {
    return undefined;
  }
}

export function SignInPage() {
  const { t, lang } = useI18n();
  const { token } = theme.useToken();
  const { user, expired, signIn } = useSession();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [options, setOptions] = useState<Omit<SessionOptions, 'publicUrl'>>();
  useEffect(() => {
    // Until the server says otherwise, offer the form: it answers clearly when local sign-in is off.
    const abort = new AbortController();
    api.sessionOptions(abort.signal).then(setOptions, () => {
      if (!abort.signal.aborted) setOptions({ localSignIn: true, sso: false });
    });
    return () => abort.abort();
  }, []);
  const target = sameOriginPath(params.get('next')) ?? '/';
  if (user) return <Navigate to={target} replace />;

  // Single sign-on sends a refusal back here as `?ssoError=<code>`: the console's message for that code.
  const ssoError = params
    .get('ssoError')
    ?.replace(/[^A-Z_]/g, '')
    .slice(0, 40);
  const catalogue: Record<string, string> = lang === 'zh' ? problemsZh : problemsEn;
  const ssoMessage = ssoError && (Object.hasOwn(catalogue, ssoError) ? catalogue[ssoError] : t('ssoErrorOther', { code: ssoError }));

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
        {expired && <Alert type="warning" showIcon title={t('sessionExpired')} style={{ marginBottom: 16 }} />}
        {options?.noUsers && (
          <Alert
            type="info"
            showIcon
            role="status"
            title={t('noUsersTitle')}
            description={
              <>
                {t('noUsersHelp')}
                <pre style={{ whiteSpace: 'pre-wrap', margin: '8px 0 0' }}>npx mpop admin create-user --username admin --role admin</pre>
              </>
            }
            style={{ marginBottom: 16 }}
          />
        )}
        {ssoMessage && <Alert type="error" showIcon title={ssoMessage} role="alert" style={{ marginBottom: 16 }} />}
        {/* On this page a 401 means the user name or the password is wrong, not that a session ended. */}
        <ProblemAlert error={error} overrides={{ UNAUTHENTICATED: t('wrongCredentials') }} />
        {options?.localSignIn !== false && (
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
        )}
        {options?.sso && (
          <>
            {options.localSignIn && <Divider plain>{t('signInOr')}</Divider>}
            {/* A link, not a fetch: the browser goes to the identity provider and comes back signed in. */}
            <Button block type={options.localSignIn ? 'default' : 'primary'} href={api.ssoStartUrl(target)}>
              {t('signInWithSso')}
            </Button>
          </>
        )}
      </main>
    </div>
  );
}
