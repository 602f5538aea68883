import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { MemoryRouter } from 'react-router';
import type { SessionOptions } from '@mpop/contracts';
import { I18nProvider, type Lang } from '../i18n/i18n';
import { SessionProvider } from './use-session';
import { SignInPage } from './SignInPage';

/** The server as the sign-in page sees it: nobody signed in, and these sign-in options. */
function serverOffering(options: Omit<SessionOptions, 'publicUrl'>) {
  globalThis.fetch = (async (url: string) => {
    if (url === '/api/v1/session/options') return Response.json(options);
    return Response.json(
      { type: 'x', title: 'Unauthenticated', status: 401, code: 'UNAUTHENTICATED', detail: 'Sign in.' },
      { status: 401 },
    );
  }) as typeof fetch;
}

const renderAt = (path: string, lang: Lang = 'en') =>
  render(
    <I18nProvider lang={lang}>
      <AntApp>
        <SessionProvider>
          <MemoryRouter initialEntries={[path]}>
            <SignInPage />
          </MemoryRouter>
        </SessionProvider>
      </AntApp>
    </I18nProvider>,
  );

describe('SignInPage', () => {
  it('offers "Sign in with SSO" next to the form when the server has single sign-on, returning to ?next=', async () => {
    serverOffering({ localSignIn: true, sso: true });
    renderAt('/sign-in?next=/mini-programs');
    const sso = await screen.findByRole('link', { name: 'Sign in with SSO' });
    expect(sso.getAttribute('href')).toBe('/api/v1/session/oidc/start?next=%2Fmini-programs');
    expect(screen.getByLabelText('Username')).toBeTruthy();
  });

  it.each(['/\t/evil.example', '//evil.example', '/\\evil.example', '/.//evil.example', 'https://evil.example/'])(
    'never hands next=%j on: it would leave the site',
    async (next) => {
      serverOffering({ localSignIn: true, sso: true });
      renderAt(`/sign-in?next=${encodeURIComponent(next)}`);
      const sso = await screen.findByRole('link', { name: 'Sign in with SSO' });
      expect(sso.getAttribute('href')).toBe('/api/v1/session/oidc/start?next=%2F');
    },
  );

  it('shows only the SSO button when local sign-in is off', async () => {
    serverOffering({ localSignIn: false, sso: true });
    renderAt('/sign-in');
    await screen.findByRole('link', { name: 'Sign in with SSO' });
    expect(screen.queryByLabelText('Username')).toBeNull();
  });

  it('shows no SSO button when the server has no single sign-on', async () => {
    serverOffering({ localSignIn: true, sso: false });
    renderAt('/sign-in');
    expect(await screen.findByLabelText('Username')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('link', { name: 'Sign in with SSO' })).toBeNull();
  });

  it('says that no user exists yet, and how to create the first admin, instead of waiting for a wrong password', async () => {
    serverOffering({ localSignIn: true, sso: false, noUsers: true });
    renderAt('/sign-in', 'zh');
    const status = await screen.findByRole('status');
    expect(status.textContent).toContain('尚无任何用户');
    expect(status.textContent).toContain('npx mpop admin create-user --username admin --role admin');
  });

  it('shows no first-admin notice once users exist', async () => {
    serverOffering({ localSignIn: true, sso: false });
    renderAt('/sign-in');
    expect(await screen.findByLabelText('Username')).toBeTruthy();
    expect(screen.queryByText('No user exists yet')).toBeNull();
  });

  it('explains an SSO refusal in the chosen language (?ssoError=SSO_ROLE_MISSING)', async () => {
    serverOffering({ localSignIn: true, sso: true });
    renderAt('/sign-in?ssoError=SSO_ROLE_MISSING', 'zh');
    expect((await screen.findByRole('alert')).textContent).toMatch(/没有为你分配 mpop 角色/);
    expect(await screen.findByRole('link', { name: '使用 SSO 登录' })).toBeTruthy();
  });

  it('shows an unknown refusal code without trusting its text', async () => {
    serverOffering({ localSignIn: true, sso: true });
    renderAt('/sign-in?ssoError=WEIRD<img src=x>');
    expect((await screen.findByRole('alert')).textContent).toBe('Single sign-on did not complete (WEIRD). Start it again.');
  });
});
