import type { ReactElement } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import { ConfigProvider } from 'antd';
import { MemoryRouter } from 'react-router';
import type { Role } from '@mpop/contracts';
import type { Membership, SessionUser } from '@mpop/contracts';
import { SessionProvider } from '../auth/use-session';
import { FeedbackRoot } from '../components/feedback';
import { I18nProvider, type Lang } from '../i18n/i18n';

export interface RenderOptions {
  /** The signed-in user's role (default admin); `member`: no platform role, only memberships; null: signed out. */
  role?: Role | 'member' | null;
  /** The signed-in user's organisations and roles in them. */
  memberships?: Membership[];
  username?: string;
  lang?: Lang;
  /** The URL the page is opened at. */
  url?: string;
}

/**
 * antd's motion off: jsdom lays nothing out and never ends a CSS transition, so a leaving element (a loading icon, a
 * removed upload) would wait for an event that never comes. Everything else is as in the app.
 */
const NO_MOTION = { token: { motion: false } };

/** Renders a console component as the app would: language, a signed-in user, a router, notices. */
export const renderWithProviders = (
  ui: ReactElement,
  { role = 'admin', username = 'alice', lang = 'en', url = '/', memberships = [] }: RenderOptions = {},
) => {
  const user: SessionUser | null = role ? { username, role: role === 'member' ? null : role, memberships } : null;
  return render(
    <ConfigProvider theme={NO_MOTION}>
      <I18nProvider lang={lang}>
        <SessionProvider initialUser={user}>
          <MemoryRouter initialEntries={[url]}>
            {ui}
            <FeedbackRoot />
          </MemoryRouter>
        </SessionProvider>
      </I18nProvider>
    </ConfigProvider>,
  );
};

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

/** One route of `fakeApi`: the method, the path (a prefix of the URL, or a pattern), and its answers in turn. */
export type FakeRoute = [method: string, path: string | RegExp, ...answers: CannedAnswer[]];

/**
 * Answers fetch calls by method and URL (the last answer of a route repeats), so a page that asks several
 * things at once gets the right answer to each whatever the order. Records what was sent; an unknown call
 * answers 404 and is recorded too.
 */
export function fakeApi(routes: FakeRoute[]) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const queues = routes.map(([method, path, ...answers]) => ({ method, path, answers }));
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const route = queues.find(
      (r) => r.method === method && (typeof r.path === 'string' ? url === r.path || url.startsWith(`${r.path}?`) : r.path.test(url)),
    );
    const answers = route?.answers;
    const a = (answers && answers.length > 1 ? answers.shift() : answers?.[0]) ?? problem(404, 'NOT_FOUND', `no fake for ${method} ${url}`);
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': a.status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  }) as typeof fetch;
  return calls;
}

/**
 * The open dialog with this title. antd gives every dialog the same title id under test, so a dialog opened from
 * another is not found by its accessible name; its title text tells them apart.
 */
export const findDialog = (title: string) =>
  waitFor(() => {
    const found = screen.getAllByRole('dialog').find((d) => d.querySelector('.ant-modal-title')?.textContent === title);
    if (!found) throw new Error(`no open dialog titled "${title}"`);
    return found;
  });
