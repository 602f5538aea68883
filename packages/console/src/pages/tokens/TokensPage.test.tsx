import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Token } from '@mpop/contracts';
import { TokensPage } from './TokensPage';
import { expiryOf } from './CreateTokenModal';
import { fakeFetch, renderWithProviders } from '../../test/render';

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();
const token = (over: Partial<Token>): Token => ({
  id: 't1',
  name: 'ci-deploy',
  role: 'operator',
  createdBy: 'alice',
  createdAt: '2026-11-25T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  ...over,
});

describe('TokensPage', () => {
  it('lists tokens with last use and expiry (expired ones marked)', async () => {
    fakeFetch([
      {
        status: 200,
        body: {
          items: [
            token({ id: 'a', name: 'used', lastUsedAt: minutesAgo(3), expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString() }),
            token({ id: 'b', name: 'idle' }),
            token({ id: 'c', name: 'old', expiresAt: minutesAgo(60) }),
          ],
        },
      },
    ]);
    renderWithProviders(<TokensPage />);
    const row = async (name: string) => (await screen.findByText(name, { selector: 'strong' })).closest('tr') as HTMLElement;
    expect(within(await row('used')).getByText('3 minutes ago')).toBeTruthy();
    expect(within(await row('used')).getByText('in 5 days')).toBeTruthy();
    expect(within(await row('idle')).getByText('Never used')).toBeTruthy();
    expect(within(await row('idle')).getByText('Never')).toBeTruthy();
    expect(within(await row('old')).getByText('Expired')).toBeTruthy();
  });

  it('creates a token and shows it once, with Copy; closing forgets it', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [] } },
      { status: 201, body: { id: 'n', name: 'deploy', role: 'viewer', expiresAt: null, token: 'mpop_secret-shown-once' } },
      { status: 200, body: { items: [token({ id: 'n', name: 'deploy', role: 'viewer' })] } },
    ]);
    renderWithProviders(<TokensPage />, { role: 'operator' });
    const u = userEvent.setup({ delay: null });
    const empty = (await screen.findByText(/No API tokens yet/)).closest('.ant-empty') as HTMLElement;
    expect(within(empty).getByRole('button', { name: /Create Token/ })).toBeTruthy();
    await u.click(screen.getAllByRole('button', { name: /Create Token/ })[0]);
    const dialog = await screen.findByRole('dialog', { name: 'Create Token' });
    await u.type(within(dialog).getByLabelText('Name'), 'deploy');
    await u.click(within(dialog).getByLabelText('Role'));
    await u.click(await screen.findByTitle('Viewer'));
    await u.click(within(dialog).getByLabelText('Expiry'));
    await u.click(await screen.findByTitle('Never'));
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    const shown = await screen.findByRole('dialog', { name: 'Token created: copy it now' });
    expect((within(shown).getByTestId('created-token') as HTMLInputElement).value).toBe('mpop_secret-shown-once');
    expect(within(shown).getByRole('button', { name: 'Copy Token' })).toBeTruthy();
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ name: 'deploy', role: 'viewer' });
    await u.click(within(shown).getAllByRole('button', { name: 'Close' }).at(-1) as HTMLElement); // the footer's, not the corner x
    await waitFor(() => expect(screen.queryByDisplayValue('mpop_secret-shown-once')).toBeNull());
  });

  it("offers only roles up to the user's own", async () => {
    fakeFetch([{ status: 200, body: { items: [] } }]);
    renderWithProviders(<TokensPage />, { role: 'operator' });
    const u = userEvent.setup({ delay: null });
    await screen.findByText(/No API tokens yet/);
    await u.click(screen.getAllByRole('button', { name: /Create Token/ })[0]);
    const dialog = await screen.findByRole('dialog', { name: 'Create Token' });
    await u.click(within(dialog).getByLabelText('Role'));
    expect(await screen.findByTitle('Viewer')).toBeTruthy();
    expect(screen.queryByTitle('Admin')).toBeNull();
  });

  it('gives a member-only user a token without a platform role (no Role to choose)', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [] } },
      { status: 201, body: { id: 'n', name: 'ci', role: null, expiresAt: '2027-03-01T00:00:00.000Z', token: 'mpop_vendor-ci' } },
      { status: 200, body: { items: [token({ id: 'n', name: 'ci', role: null })] } },
    ]);
    renderWithProviders(<TokensPage />, { role: 'member', memberships: [{ orgId: 'acme', role: 'developer' }] });
    const u = userEvent.setup({ delay: null });
    await screen.findByText(/No API tokens yet/);
    await u.click(screen.getAllByRole('button', { name: /Create Token/ })[0]);
    const dialog = await screen.findByRole('dialog', { name: 'Create Token' });
    expect(within(dialog).queryByLabelText('Role')).toBeNull();
    await u.click(within(dialog).getByLabelText('Name'));
    await u.paste('ci');
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    const shown = await screen.findByRole('dialog', { name: 'Token created: copy it now' });
    expect(within(shown).getByText('Organisation member only')).toBeTruthy();
    expect(JSON.parse(String(calls[1].init?.body)).role).toBeUndefined();
  });

  it('turns an expiry choice into an instant', () => {
    expect(expiryOf({ expiry: 'never' })).toBeUndefined();
    const in7 = Date.parse(expiryOf({ expiry: '7' }) ?? '');
    expect(in7 - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(in7 - Date.now()).toBeLessThan(7.1 * 86_400_000);
  });
});
