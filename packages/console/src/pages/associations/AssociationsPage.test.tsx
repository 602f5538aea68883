import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AssociationsPage } from './AssociationsPage';
import { association, coupons, items, org, page } from '../../test/open-platform-fixtures';
import { fakeApi, type FakeRoute, findDialog, renderWithProviders } from '../../test/render';

const routes = (...extra: FakeRoute[]): FakeRoute[] => [
  [
    'GET',
    '/api/v1/associations',
    page([association('a1'), association('a2', { state: 'approved', appId: 'ALIPUB9999', decidedBy: 'olga' })]),
  ],
  ['GET', '/api/v1/mini-programs', items([coupons])],
  ['GET', '/api/v1/organisations', items([org('acme')])],
  ...extra,
];
const rowOf = async (appId: string) => (await screen.findByText(`retail / ${appId}`)).closest('tr') as HTMLElement;

describe('AssociationsPage', () => {
  it('lists pending requests first; an operator approves or rejects a pending one and revokes an approved one', async () => {
    const calls = fakeApi(routes());
    renderWithProviders(<AssociationsPage />, { role: 'operator' });
    const pending = await rowOf('ALIPUB0123456789');
    expect(calls.find((c) => c.url.startsWith('/api/v1/associations'))?.url).toBe('/api/v1/associations?state=pending&page=1&pageSize=10');
    expect(within(pending).getByText('Coupons')).toBeTruthy();
    expect(within(pending).getByText('Pending')).toBeTruthy();
    expect(within(pending).getByRole('button', { name: 'Approve' })).toBeTruthy();
    expect(within(pending).getByRole('button', { name: 'Reject' })).toBeTruthy();
    const approved = await rowOf('ALIPUB9999');
    expect(within(approved).getByRole('button', { name: 'Revoke' })).toBeTruthy();
    expect(within(approved).queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('shows a viewer the requests without any decision', async () => {
    fakeApi(routes());
    renderWithProviders(<AssociationsPage />, { role: 'viewer' });
    const pending = await rowOf('ALIPUB0123456789');
    expect(within(pending).queryByRole('button')).toBeNull();
    expect(within(await rowOf('ALIPUB9999')).queryByRole('button')).toBeNull();
  });

  it('rejects only with a reason', async () => {
    const calls = fakeApi(
      routes(['POST', '/api/v1/associations/a1/reject', { status: 200, body: association('a1', { state: 'rejected', reason: 'x' }) }]),
    );
    renderWithProviders(<AssociationsPage />, { role: 'admin' });
    const u = userEvent.setup({ delay: null });
    await u.click(within(await rowOf('ALIPUB0123456789')).getByRole('button', { name: 'Reject' }));
    const dialog = await findDialog('Reject the request of Coupons for retail / ALIPUB0123456789');
    await u.click(within(dialog).getByRole('button', { name: 'Reject' }));
    expect(await within(dialog).findByText('Enter the reason: the developer sees it and can act on it.')).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await u.click(within(dialog).getByLabelText('Reason'));
    await u.paste('The wallet does not offer coupons.');
    await u.click(within(dialog).getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ reason: 'The wallet does not offer coupons.' }));
  });

  it('filters by state and host app, in the address', async () => {
    const calls = fakeApi(routes());
    renderWithProviders(<AssociationsPage />, { role: 'operator', url: '/associations?state=approved&workspaceId=retail' });
    await rowOf('ALIPUB9999');
    expect(calls.find((c) => c.url.startsWith('/api/v1/associations'))?.url).toBe(
      '/api/v1/associations?state=approved&workspaceId=retail&page=1&pageSize=10',
    );
    expect((screen.getByLabelText('workspaceId') as HTMLInputElement).value).toBe('retail');
  });
});
