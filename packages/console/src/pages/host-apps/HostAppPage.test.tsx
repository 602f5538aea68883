import { describe, expect, it } from 'vitest';
import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HostAppPage } from './HostAppPage';
import { fakeFetch, renderWithProviders } from '../../test/render';

describe('HostAppPage', () => {
  it("shows the API's detail when the list cannot be loaded, and retries", async () => {
    const calls = fakeFetch([
      {
        status: 503,
        body: {
          type: 'x',
          title: 'Service Unavailable',
          status: 503,
          code: 'DATABASE_UNAVAILABLE',
          detail: 'The database is not answering. Try again shortly.',
        },
      },
      { status: 200, body: { items: [], total: 0, page: 1, pageSize: 10 } },
    ]);
    renderWithProviders(<HostAppPage />);
    expect(await screen.findByText('The list could not be loaded.')).toBeTruthy();
    expect(screen.getByText('The database is not answering. Try again shortly.')).toBeTruthy();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText(/No host apps yet/)).toBeTruthy();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/host-apps?page=1&pageSize=10', '/api/v1/host-apps?page=1&pageSize=10']);
  });

  it('sends the query when Enter is pressed in the search box', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [], total: 0, page: 1, pageSize: 10 } },
      { status: 200, body: { items: [], total: 0, page: 1, pageSize: 10 } },
    ]);
    renderWithProviders(<HostAppPage />);
    await screen.findByText(/No host apps yet/);
    await userEvent.setup().type(screen.getByPlaceholderText('Enter the App name'), '50%_off{Enter}');
    expect(await screen.findByText('No app matches "50%_off".')).toBeTruthy();
    expect(calls[1].url).toBe('/api/v1/host-apps?query=50%25_off&page=1&pageSize=10');
  });

  it('disables a host app after confirmation, shows it as disabled, and offers Enable', async () => {
    const app = {
      appId: '0123456789ABC',
      workspaceId: 'default',
      tenantId: 'ABCDEFGH',
      name: 'Retail Super App',
      source: 'manual',
      devConfigured: true,
      enabled: true,
      createdAt: '2026-11-25T14:36:42.000Z',
      updatedAt: '2026-11-25T14:36:42.000Z',
    };
    const calls = fakeFetch([
      { status: 200, body: { items: [app], total: 1, page: 1, pageSize: 10 } },
      { status: 200, body: { ...app, enabled: false } },
      { status: 200, body: { items: [{ ...app, enabled: false }], total: 1, page: 1, pageSize: 10 } },
    ]);
    renderWithProviders(<HostAppPage />);
    fireEvent.click(await screen.findByText('Disable'));
    expect((await screen.findAllByText('Disable the app "Retail Super App"?')).length).toBeGreaterThan(0);
    const disableButtons = screen.getAllByText('Disable');
    fireEvent.click(disableButtons[disableButtons.length - 1]); // the dialog's own button
    expect(await screen.findByText('Enable', {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByText('Disabled')).toBeTruthy();
    expect(calls[1].url).toBe('/api/v1/host-apps/default/0123456789ABC');
    expect(calls[1].init?.method).toBe('PATCH');
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ enabled: false });
  }, 60_000);
});
