import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '@mpop/contracts';
import { ReviewQueuePage } from './ReviewQueuePage';
import { coupons, items, org, page, reviewItem } from '../../test/open-platform-fixtures';
import { fakeApi, type FakeRoute, findDialog, renderWithProviders } from '../../test/render';

const routes = (...extra: FakeRoute[]): FakeRoute[] => [
  ['GET', '/api/v1/reviews', page([reviewItem('1.1.0.0')])],
  ['GET', '/api/v1/mini-programs', items([coupons])],
  ['GET', '/api/v1/organisations', items([org('acme')])],
  ...extra,
];
const open = async (role: Role, username = 'alice') => {
  renderWithProviders(<ReviewQueuePage />, { role, username });
  const row = (await screen.findByText('Coupons', { selector: 'strong' })).closest('tr') as HTMLElement;
  expect(within(row).getByText('Acme Vendors')).toBeTruthy();
  expect(within(row).getByText('In review')).toBeTruthy();
  await userEvent.setup({ delay: null }).click(within(row).getByRole('button', { name: 'Review' }));
  return screen.findByRole('dialog', { name: 'Review 1.1.0.0 · Coupons' });
};

describe('ReviewQueuePage', () => {
  it('asks for the versions in review, and shows a version’s checks beside its change since the last release', async () => {
    const calls = fakeApi(routes());
    const dialog = await open('operator');
    expect(calls.find((c) => c.url.startsWith('/api/v1/reviews'))?.url).toBe('/api/v1/reviews?state=in-review&page=1&pageSize=10');
    const checks = within(dialog).getByRole('list', { name: 'Automatic checks' });
    expect(within(checks).getByText('package rules')).toBeTruthy();
    expect(within(checks).getByText('Warning')).toBeTruthy();
    expect(within(checks).getByText('declares a new domain: api.coupons.example')).toBeTruthy();
    expect(within(dialog).getByText('Change since 1.0.0.0')).toBeTruthy();
    expect(within(dialog).getByText('pages/new/index.js')).toBeTruthy();
    expect(within(dialog).getByText('pages/old/index.js')).toBeTruthy();
    expect(within(dialog).getByText('+2 KiB')).toBeTruthy();
    expect(within(dialog).getByText('camera')).toBeTruthy();
    expect(within(dialog).getByText('new coupons page')).toBeTruthy();
  });

  it('rejects only with a reason, and sends it', async () => {
    const calls = fakeApi(
      routes([
        'POST',
        '/api/v1/mini-programs/1234567890123456/packages/1.1.0.0/reject',
        { status: 200, body: reviewItem('1.1.0.0', { state: 'rejected' }).review },
      ]),
    );
    const dialog = await open('operator');
    const u = userEvent.setup({ delay: null });
    await u.click(within(dialog).getByRole('button', { name: 'Reject' }));
    const reject = await findDialog('Reject 1.1.0.0 of Coupons');
    await u.click(within(reject).getByRole('button', { name: 'Reject' }));
    expect(await within(reject).findByText('Enter the reason: the developer sees it and can act on it.')).toBeTruthy();
    // Blank is no reason.
    await u.click(within(reject).getByLabelText('Reason'));
    await u.paste('   ');
    await u.click(within(reject).getByRole('button', { name: 'Reject' }));
    expect(await within(reject).findByText('Enter the reason: the developer sees it and can act on it.')).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await u.clear(within(reject).getByLabelText('Reason'));
    await u.paste(' The camera permission is not explained. ');
    await u.click(within(reject).getByRole('button', { name: 'Reject' }));
    await waitFor(() =>
      expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ reason: 'The camera permission is not explained.' }),
    );
    expect(await screen.findByText('1.1.0.0 of Coupons has been rejected.')).toBeTruthy();
  });

  it('approves with an optional note', async () => {
    const calls = fakeApi(
      routes([
        'POST',
        '/api/v1/mini-programs/1234567890123456/packages/1.1.0.0/approve',
        { status: 200, body: reviewItem('1.1.0.0', { state: 'approved' }).review },
      ]),
    );
    const dialog = await open('admin');
    const u = userEvent.setup({ delay: null });
    await u.click(within(dialog).getByRole('button', { name: 'Approve' }));
    const approve = await findDialog('Approve 1.1.0.0 of Coupons');
    await u.click(within(approve).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({}));
    expect(await screen.findByText('1.1.0.0 of Coupons has been approved.')).toBeTruthy();
  });

  it('offers a viewer no decision', async () => {
    fakeApi(routes());
    const dialog = await open('viewer');
    expect(within(dialog).getByRole('list', { name: 'Automatic checks' })).toBeTruthy();
    expect(within(dialog).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(within(dialog).queryByRole('button', { name: 'Reject' })).toBeNull();
  });

  it('keeps the one who submitted a version from approving it', async () => {
    fakeApi(routes());
    const dialog = await open('operator', 'dev');
    expect(within(dialog).getByRole('button', { name: 'Approve' }).hasAttribute('disabled')).toBe(true);
    expect(within(dialog).getByRole('button', { name: 'Reject' }).hasAttribute('disabled')).toBe(false);
  });
});
