import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
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
});
