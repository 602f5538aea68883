import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { I18nProvider } from '../i18n/i18n';

export const renderWithProviders = (ui: ReactElement) =>
  render(
    <I18nProvider lang="en">
      <AntApp>{ui}</AntApp>
    </I18nProvider>,
  );

/** Answers fetch calls with a queue of canned responses and records what was sent. */
export function fakeFetch(answers: { status: number; body?: unknown }[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const a = answers.shift() ?? { status: 500, body: { code: 'INTERNAL_ERROR', detail: 'no canned answer' } };
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': a.status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  }) as typeof fetch;
  return calls;
}
