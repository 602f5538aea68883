import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { HostApp } from '@mpop/contracts';
import { HostAppPage } from './HostAppPage';
import { fakeFetch, problem, renderWithProviders } from '../../test/render';

const app = (name: string, devConfigured = true): HostApp => ({
  appId: `${name.toUpperCase().padEnd(13, '0').slice(0, 13)}`,
  workspaceId: 'default',
  tenantId: 'ABCDEFGH',
  name,
  source: 'manual',
  devConfigured,
  enabled: true,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
});
const list = (items: HostApp[], total = items.length) => ({ status: 200, body: { items, total, page: 1, pageSize: 10 } });

describe('HostAppPage', () => {
  it("shows the problem in the console's words with the server's detail when the list cannot be loaded, and retries", async () => {
    const calls = fakeFetch([problem(503, 'DATABASE_UNAVAILABLE', 'The database did not answer within 5 s.'), list([])]);
    renderWithProviders(<HostAppPage />);
    expect(await screen.findByText('The list could not be loaded.')).toBeTruthy();
    expect(screen.getByText('The database is not answering. Try again shortly.')).toBeTruthy();
    expect(screen.getByText('The database did not answer within 5 s.')).toBeTruthy();
    await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText(/No host apps yet/)).toBeTruthy();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/host-apps?page=1&pageSize=10', '/api/v1/host-apps?page=1&pageSize=10']);
  });

  it('sends the query when Enter is pressed in the search box, and offers to clear it when nothing matches', async () => {
    const calls = fakeFetch([list([]), list([]), list([app('Shop')])]);
    renderWithProviders(<HostAppPage />);
    await screen.findByText(/No host apps yet/);
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByPlaceholderText('Enter the app name'), '50%_off{Enter}');
    expect(await screen.findByText('No app matches "50%_off".')).toBeTruthy();
    expect(calls[1].url).toBe('/api/v1/host-apps?query=50%25_off&page=1&pageSize=10');
    await user.click(screen.getByRole('button', { name: 'Clear Filters' }));
    expect(await screen.findByText('Shop')).toBeTruthy();
    expect(calls[2].url).toBe('/api/v1/host-apps?page=1&pageSize=10');
  });

  it('reads the query, page and page size from the URL, so a reload keeps them', async () => {
    const calls = fakeFetch([{ status: 200, body: { items: [app('Shop')], total: 41, page: 3, pageSize: 20 } }]);
    renderWithProviders(<HostAppPage />, { url: '/host-apps?query=shop&page=3&pageSize=20' });
    expect(await screen.findByText('Shop')).toBeTruthy();
    expect(calls[0].url).toBe('/api/v1/host-apps?query=shop&page=3&pageSize=20');
    expect((screen.getByPlaceholderText('Enter the app name') as HTMLInputElement).value).toBe('shop');
    expect((await screen.findByRole('button', { name: 'Page 3' })).getAttribute('aria-current')).toBe('page');
  });

  it('says "about" before a total the server estimated (a search with many matches), and not before a counted one', async () => {
    fakeFetch([{ status: 200, body: { items: [app('Shop')], total: 10000, totalIsEstimate: true, page: 1, pageSize: 10 } }]);
    renderWithProviders(<HostAppPage />, { url: '/host-apps?query=shop' });
    expect(await screen.findByText('Total: about 10000')).toBeTruthy();
  });

  it('shows a counted total as it is', async () => {
    fakeFetch([{ status: 200, body: { items: [app('Shop')], total: 41, totalIsEstimate: false, page: 1, pageSize: 10 } }]);
    renderWithProviders(<HostAppPage />, { url: '/host-apps?query=shop' });
    expect(await screen.findByText('Total: 41')).toBeTruthy();
  });

  it('gives an operator Add App, Sync and every operation, the rarer ones under More', async () => {
    fakeFetch([list([app('Shop')])]);
    renderWithProviders(<HostAppPage />, { role: 'operator' });
    const row = (await screen.findByText('Shop')).closest('tr') as HTMLElement;
    expect(screen.getByRole('button', { name: /Add App/ })).toBeTruthy();
    expect(screen.getByRole('button', { name: /Sync mPaaS Backend Apps/ })).toBeTruthy();
    expect(within(row).getByRole('button', { name: 'View Basic Information' })).toBeTruthy();
    await userEvent.setup({ delay: null }).click(within(row).getByRole('button', { name: 'More' }));
    const menu = await screen.findByRole('menu');
    const items = within(menu)
      .getAllByRole('menuitem')
      .map((i) => i.textContent);
    // A development configuration exists: the item says Change; Rename is there (the way out of a name conflict).
    expect(items).toEqual([
      'Change Development Configuration',
      'View Development Configuration',
      'Mini Programs',
      'Rename',
      'Disable',
      'Delete',
    ]);
  });

  it('says Make Development Configuration while there is none', async () => {
    fakeFetch([list([app('Shop', false)])]);
    renderWithProviders(<HostAppPage />, { role: 'operator' });
    const row = (await screen.findByText('Shop')).closest('tr') as HTMLElement;
    await userEvent.setup({ delay: null }).click(within(row).getByRole('button', { name: 'More' }));
    const menu = await screen.findByRole('menu');
    expect(within(menu).getAllByRole('menuitem')[0].textContent).toBe('Make Development Configuration');
  });

  it('shows a viewer no Add App, Sync, Make Development Configuration or Delete', async () => {
    fakeFetch([list([app('Shop')])]);
    renderWithProviders(<HostAppPage />, { role: 'viewer' });
    const row = (await screen.findByText('Shop')).closest('tr') as HTMLElement;
    expect(screen.queryByRole('button', { name: /Add App/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Sync mPaaS/ })).toBeNull();
    await userEvent.setup({ delay: null }).click(within(row).getByRole('button', { name: 'More' }));
    const menu = await screen.findByRole('menu');
    const items = within(menu)
      .getAllByRole('menuitem')
      .map((i) => i.textContent);
    expect(items).toEqual(['View Development Configuration', 'Mini Programs']);
  });

  it('offers Add App in the empty list to an operator, and nothing to a viewer', async () => {
    fakeFetch([list([])]);
    const { unmount } = renderWithProviders(<HostAppPage />, { role: 'operator' });
    const empty = (await screen.findByText(/No host apps yet/)).closest('.ant-empty') as HTMLElement;
    expect(within(empty).getByRole('button', { name: /Add App/ })).toBeTruthy();
    unmount();
    fakeFetch([list([])]);
    renderWithProviders(<HostAppPage />, { role: 'viewer' });
    const viewerEmpty = (await screen.findByText(/No host apps yet/)).closest('.ant-empty') as HTMLElement;
    expect(within(viewerEmpty).queryByRole('button')).toBeNull();
  });

  it('confirms Delete and reloads the list', async () => {
    const calls = fakeFetch([list([app('Shop')]), { status: 204 }, list([])]);
    renderWithProviders(<HostAppPage />, { role: 'operator' });
    const row = (await screen.findByText('Shop')).closest('tr') as HTMLElement;
    const user = userEvent.setup({ delay: null });
    await user.click(within(row).getByRole('button', { name: 'More' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the app "Shop"?' });
    await user.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(calls.map((c) => `${c.init?.method} ${c.url}`)).toContain('DELETE /api/v1/host-apps/default/SHOP000000000'));
    expect(await screen.findByText(/No host apps yet/)).toBeTruthy();
  });

  it('disables a host app after confirmation, shows it as disabled, and offers Enable', async () => {
    const shop = app('Shop');
    const calls = fakeFetch([list([shop]), { status: 200, body: { ...shop, enabled: false } }, list([{ ...shop, enabled: false }])]);
    renderWithProviders(<HostAppPage />, { role: 'operator' });
    const user = userEvent.setup({ delay: null });
    const row = (await screen.findByText('Shop')).closest('tr') as HTMLElement;
    await user.click(within(row).getByRole('button', { name: 'More' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Disable' }));
    const dialog = await screen.findByRole('dialog', { name: 'Disable the app "Shop"?' });
    await user.click(within(dialog).getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(within(screen.getByText('Shop').closest('tr') as HTMLElement).getByText('Disabled')).toBeTruthy());
    expect(calls[1].url).toBe('/api/v1/host-apps/default/SHOP000000000');
    expect(calls[1].init?.method).toBe('PATCH');
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ enabled: false });
    // The list reloads after the change; while it does, the table is busy and takes no clicks (as for a person).
    await waitFor(() => expect(calls).toHaveLength(3));
    await waitFor(() => expect(document.querySelector('[aria-busy="true"]')).toBeNull());
    await user.click(within(screen.getByText('Shop').closest('tr') as HTMLElement).getByRole('button', { name: 'More' }));
    expect(await screen.findByRole('menuitem', { name: 'Enable' })).toBeTruthy();
  });
});
