import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuditLogPage } from './AuditLogPage';
import { fakeFetch, renderWithProviders } from '../../test/render';

const page = (items: unknown[], total = items.length) => ({ status: 200, body: { items, total, page: 1, pageSize: 20 } });
const event = { at: '2026-11-25T14:36:42.000Z', actor: 'alice', action: 'host-app.deleted', target: 'host-app:shop/ABCDEF0123456' };

describe('AuditLogPage', () => {
  it('shows events with the action in words, in the UI language', async () => {
    fakeFetch([page([event])]);
    renderWithProviders(<AuditLogPage />, { lang: 'zh' });
    const row = (await screen.findByText('删除宿主应用')).closest('tr') as HTMLElement;
    expect(within(row).getByText('alice')).toBeTruthy();
    expect(within(row).getByText(/^2026年11月2[56]日/)).toBeTruthy();
  });

  it('shows the client address of each event, and nothing for events without one', async () => {
    fakeFetch([
      page([
        { ...event, address: '203.0.113.7' },
        { ...event, target: 'host-app:shop/OLD' },
      ]),
    ]);
    renderWithProviders(<AuditLogPage />);
    expect(await screen.findByRole('columnheader', { name: 'Address' })).toBeTruthy();
    const row = (await screen.findByText('203.0.113.7')).closest('tr') as HTMLElement;
    expect(within(row).getByText('alice')).toBeTruthy();
  });

  it('filters by actor, action and target from the URL; the CSV export follows the same filter', async () => {
    const calls = fakeFetch([page([event], 45)]);
    const url = '/audit-log?actor=alice&action=host-app.deleted&target=shop&from=2026-11-01T00%3A00%3A00.000Z&page=2';
    renderWithProviders(<AuditLogPage />, { url });
    await screen.findByText('Host app deleted');
    expect(calls[0].url).toBe(
      '/api/v1/audit-events?actor=alice&action=host-app.deleted&target=shop&from=2026-11-01T00%3A00%3A00.000Z&page=2&pageSize=20',
    );
    const csv = screen.getByRole('link', { name: /Export CSV/ });
    expect(csv.getAttribute('href')).toBe(
      '/api/v1/audit-events.csv?actor=alice&action=host-app.deleted&target=shop&from=2026-11-01T00%3A00%3A00.000Z',
    );
    expect((screen.getByLabelText('Actor contains') as HTMLInputElement).value).toBe('alice');
    expect((await screen.findByRole('button', { name: 'Page 2' })).getAttribute('aria-current')).toBe('page');
  });

  it('searches with what is typed, from page 1, and offers to clear the filters when nothing matches', async () => {
    const calls = fakeFetch([page([event]), page([]), page([event])]);
    renderWithProviders(<AuditLogPage />);
    await screen.findByText('Host app deleted');
    const u = userEvent.setup({ delay: null });
    await u.type(screen.getByLabelText('Target contains'), ' ABCDEF ');
    await u.click(screen.getByRole('button', { name: /Search/ }));
    expect(await screen.findByText('No events match these filters.')).toBeTruthy();
    expect(calls[1].url).toBe('/api/v1/audit-events?target=ABCDEF&page=1&pageSize=20');
    const empty = screen.getByText('No events match these filters.').closest('.ant-empty') as HTMLElement;
    await u.click(within(empty).getByRole('button', { name: 'Clear Filters' }));
    await waitFor(() => expect(calls[2]?.url).toBe('/api/v1/audit-events?page=1&pageSize=20'));
  });
});
