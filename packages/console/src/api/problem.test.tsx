import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { renderWithProviders } from '../test/render';
import { ApiError } from './client';
import { ProblemAlert, usePlaceOnFields } from './problem';
import type { Lang } from '../i18n/i18n';

const problem = (code: string, detail: string, params?: Record<string, string | number>) =>
  new ApiError(409, {
    type: `urn:mpop:problem:${code}`,
    title: 'Name taken',
    status: 409,
    code: code as 'NAME_TAKEN',
    detail,
    ...(params ? { params } : {}),
  });

const nameTaken = problem('NAME_TAKEN', 'Workspace default already has a host app named "Shop"; choose another name.', {
  name: 'Shop',
  workspaceId: 'default',
});
const alertText = () => screen.getByRole('alert').textContent;

describe('a problem in the console: the sentence for its code, with the specifics the server names', () => {
  it('says it in Chinese with the name and workspace, and without the English detail', () => {
    renderWithProviders(<ProblemAlert error={nameTaken} />, { lang: 'zh' });
    expect(alertText()).toBe('工作空间 default 中已有名为“Shop”的应用。请换一个名称。');
  });

  it('says it in English with the specifics, and keeps the server detail there', () => {
    renderWithProviders(<ProblemAlert error={nameTaken} />);
    expect(alertText()).toContain('Workspace default already has an app named "Shop". Choose another name.');
    expect(alertText()).toContain('choose another name.');
  });

  it('falls back to the plain sentence when the server names no specifics (an older server)', () => {
    renderWithProviders(<ProblemAlert error={problem('NAME_TAKEN', 'Taken.')} />, { lang: 'zh' });
    expect(alertText()).toBe('该工作空间中已有同名应用。');
  });
});

describe('a problem code the console does not know (a newer server)', () => {
  const newer = problem('SOMETHING_NEW', 'A newer server says why.');

  it("says in Chinese that the request did not complete, with the code, and keeps the server's English detail below", () => {
    renderWithProviders(<ProblemAlert error={newer} />, { lang: 'zh' });
    expect(screen.getByRole('alert').querySelector('.ant-alert-title')?.textContent).toBe('请求未完成（错误代码 SOMETHING_NEW）。');
    expect(alertText()).toBe('请求未完成（错误代码 SOMETHING_NEW）。A newer server says why.');
    // Marked as English, so a screen reader does not read it with Chinese sounds.
    expect(screen.getByText('A newer server says why.').getAttribute('lang')).toBe('en');
  });

  it("keeps the server's English title when it sends no detail, and names a code like `constructor` generically", () => {
    renderWithProviders(<ProblemAlert error={problem('constructor', ' ')} />, { lang: 'zh' });
    expect(alertText()).toBe('请求未完成（错误代码 constructor）。Name taken');
  });

  it('says what failed first when the alert has a title, then the sentence and the detail', () => {
    renderWithProviders(<ProblemAlert error={newer} title="加载失败。" />, { lang: 'zh' });
    expect(alertText()).toBe('加载失败。请求未完成（错误代码 SOMETHING_NEW）。A newer server says why.');
  });

  it("shows the server's title and detail in English, as the server says them", () => {
    renderWithProviders(<ProblemAlert error={newer} />);
    expect(alertText()).toBe('Name takenA newer server says why.');
  });
});

/** Places a problem on the fields name and url, recording what each field is given. */
function PlaceProbe({ err, out }: { err: ApiError; out: Record<string, string[]> }) {
  const place = usePlaceOnFields();
  place(
    {
      setFields: (fields) => {
        for (const f of fields) out[f.name] = f.errors;
      },
    },
    err,
    ['name', 'url'] as const,
  );
  return null;
}

describe('a refused field: said under the field, in Chinese from the rule the server names', () => {
  const tooLong = new ApiError(400, {
    type: 'urn:mpop:problem:VALIDATION_FAILED',
    title: 'Validation failed',
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: 'The request is invalid: name must NOT have more than 64 characters; url must match format "uri".',
    errors: [
      { path: 'name', message: 'must NOT have more than 64 characters', rule: 'maxLength', params: { limit: 64 } },
      { path: 'url', message: 'must match format "uri"', rule: 'someNewRule' },
    ],
  });

  /** The errors each field gets, as the form would show them. */
  function placed(lang: Lang): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    renderWithProviders(<PlaceProbe err={tooLong} out={out} />, { lang });
    return out;
  }

  it('says the limit in Chinese, and a rule it does not know generically, never in English', () => {
    const errors = placed('zh');
    expect(errors.name).toEqual(['部分字段不合法。 name: 最多 64 个字符。']);
    expect(errors.url).toEqual(['部分字段不合法。 url: 取值不合法。']);
    expect(JSON.stringify(errors)).not.toMatch(/must/);
  });

  it("keeps the server's words in English", () => {
    expect(placed('en').name).toEqual(['Some fields are not valid. name: must NOT have more than 64 characters']);
  });
});
