import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { renderWithProviders } from '../test/render';
import { ApiError } from './client';
import { ProblemAlert } from './problem';

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

  it("shows the server's title and detail for a code the console does not know, in any language", () => {
    renderWithProviders(<ProblemAlert error={problem('SOMETHING_NEW', 'A newer server says why.')} />, { lang: 'zh' });
    expect(alertText()).toBe('Name takenA newer server says why.');
  });
});
