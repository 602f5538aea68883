import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import type { Role } from '@mpop/contracts';
import { SessionProvider } from '../auth/use-session';
import { FeedbackRoot } from '../components/feedback';
import { I18nProvider, type Lang } from '../i18n/i18n';

export interface RenderOptions {
  /** The signed-in user's role (default admin); null: signed out. */
  role?: Role | null;
  username?: string;
  lang?: Lang;
  /** The URL the page is opened at. */
  url?: string;
}

/** Renders a console component as the app would: language, a signed-in user, a router, notices. */
export const renderWithProviders = (ui: ReactElement, { role = 'admin', username = 'alice', lang = 'en', url = '/' }: RenderOptions = {}) =>
  render(
    <I18nProvider lang={lang}>
      <SessionProvider initialUser={role ? { username, role, memberships: [] } : null}>
        <MemoryRouter initialEntries={[url]}>
          {ui}
          <FeedbackRoot />
        </MemoryRouter>
      </SessionProvider>
    </I18nProvider>,
  );

export interface CannedAnswer {
  status: number;
  /** JSON body (sent as application/json, or application/problem+json for errors). */
  body?: unknown;
  /** A raw body instead, with its own content type (a proxy's HTML error page). */
  text?: string;
  contentType?: string;
}

/** Answers fetch calls with a queue of canned responses and records what was sent (and the abort signal). */
export function fakeFetch(answers: CannedAnswer[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const a = answers.shift() ?? { status: 500, body: { code: 'INTERNAL_ERROR', detail: 'no canned answer' } };
    if (a.text !== undefined) {
      return new Response(a.text, { status: a.status, headers: { 'content-type': a.contentType ?? 'text/html' } });
    }
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': a.status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  }) as typeof fetch;
  return calls;
}

/** A problem body as the server sends it. */
export const problem = (status: number, code: string, detail: string, errors?: { path: string; message: string }[]) => ({
  status,
  body: { type: `urn:mpop:problem:${code}`, title: code, status, code, detail, ...(errors ? { errors } : {}) },
});
