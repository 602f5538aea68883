import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MiniProgramsPage } from './MiniProgramsPage';
import { fakeFetch, renderWithProviders } from '../../test/render';

describe('MiniProgramsPage: Register Mini Program', () => {
  it.each([
    ['en', 'Register Mini Program', 'Mini program name', 'Confirm', 'The mini program name must be at most 64 characters.'],
    ['zh', '注册小程序', '小程序名称', '确 定', '小程序名称最多 64 个字符。'],
  ] as const)(
    'in %s, refuses a name of 65 characters at the field, as the server would, and calls no API',
    async (lang, open, label, ok, tooLong) => {
      const calls = fakeFetch([
        { status: 200, body: { items: [] } },
        { status: 200, body: { items: [] } },
      ]);
      renderWithProviders(<MiniProgramsPage />, { lang });
      const user = userEvent.setup({ delay: null });
      // The list is empty: the page's action and the empty list's both offer it.
      await user.click((await screen.findAllByRole('button', { name: new RegExp(open) }))[0]);
      await user.click(await screen.findByLabelText(label)); // the dialog loads when first opened
      await user.paste(`  ${'n'.repeat(65)}  `);
      await user.click(screen.getByRole('button', { name: ok }));
      expect(await screen.findByText(tooLong)).toBeTruthy();
      expect(calls).toHaveLength(2); // the list and the organisations only
    },
  );

  it('sends a name of 64 characters once trimmed', async () => {
    const name = 'n'.repeat(64);
    const created = {
      miniProgramId: '1234567890123456',
      name,
      releasedVersion: null,
      createdAt: '2026-12-06T00:00:00.000Z',
      updatedAt: '2026-12-06T00:00:00.000Z',
    };
    const calls = fakeFetch([
      { status: 200, body: { items: [] } },
      { status: 200, body: { items: [] } },
      { status: 201, body: created },
      { status: 200, body: { items: [created] } },
    ]);
    renderWithProviders(<MiniProgramsPage />);
    const user = userEvent.setup({ delay: null });
    await user.click((await screen.findAllByRole('button', { name: /Register Mini Program/ }))[0]);
    await user.click(await screen.findByLabelText('Mini program name'));
    await user.paste(` ${name} `);
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    await expect.poll(() => calls.length).toBeGreaterThanOrEqual(3);
    const create = calls.find((c) => c.init?.method === 'POST');
    expect(create?.url).toContain('/api/v1/mini-programs');
    expect(JSON.parse(String(create?.init?.body))).toMatchObject({ name });
  });
});
