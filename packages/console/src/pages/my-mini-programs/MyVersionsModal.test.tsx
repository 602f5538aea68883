import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MyVersionsModal } from './MyVersionsModal';
import { coupons, items, version } from '../../test/open-platform-fixtures';
import { fakeApi, type FakeRoute, findDialog, renderWithProviders } from '../../test/render';
import type { Package } from '@mpop/contracts';

const PACKAGES = '/api/v1/mini-programs/1234567890123456/packages';
const show = (versions: Package[], extra: FakeRoute[] = [], suspended = false) => {
  const calls = fakeApi([['GET', PACKAGES, items(versions)], ...extra]);
  renderWithProviders(<MyVersionsModal program={coupons} suspended={suspended} onClose={() => {}} />, {
    role: 'member',
    username: 'dev',
    memberships: [{ orgId: 'acme', role: 'developer' }],
  });
  return calls;
};
const rowOf = async (v: string) => (await screen.findByText(v, { selector: 'strong' })).closest('tr') as HTMLElement;
const button = (row: HTMLElement, name: string) => within(row).queryByRole('button', { name });

describe('MyVersionsModal', () => {
  it('offers Submit for a draft, Withdraw in review, Submit Again with the reason after a rejection', async () => {
    show([
      version('1.3.0.0', { state: 'rejected', reason: 'Explain the camera permission.' }),
      version('1.2.0.0', { state: 'withdrawn' }),
      version('1.1.0.0', { state: 'approved' }),
      version('1.0.0.0', { state: 'approved' }, 'released'),
    ]);
    const rejected = await rowOf('1.3.0.0');
    expect(within(rejected).getByText('Rejected: Explain the camera permission.')).toBeTruthy();
    expect(button(rejected, 'Submit Again')?.hasAttribute('disabled')).toBe(false);
    expect(button(await rowOf('1.2.0.0'), 'Submit Again')).toBeTruthy();
    for (const v of ['1.1.0.0', '1.0.0.0']) {
      const row = await rowOf(v);
      expect(button(row, 'Submit Again')).toBeNull();
      expect(button(row, 'Submit for Review')).toBeNull();
      expect(button(row, 'Withdraw')).toBeNull();
    }
  });

  it('while one version is in review, offers its Withdraw and no other submission', async () => {
    const calls = show(
      [version('1.1.0.0', { state: 'in-review', submittedBy: 'dev' }), version('1.0.0.0')],
      [['POST', `${PACKAGES}/1.1.0.0/withdraw`, { status: 200, body: version('1.1.0.0', { state: 'withdrawn' }).review }]],
    );
    const inReview = await rowOf('1.1.0.0');
    expect(within(inReview).getByText('In review')).toBeTruthy();
    expect(button(inReview, 'Submit for Review')).toBeNull();
    expect(button(await rowOf('1.0.0.0'), 'Submit for Review')?.hasAttribute('disabled')).toBe(true);
    const u = userEvent.setup({ delay: null });
    await u.click(button(inReview, 'Withdraw') as HTMLElement);
    const confirm = await findDialog('Withdraw 1.1.0.0 from review?');
    await u.click(within(confirm).getByRole('button', { name: 'Withdraw' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url === `${PACKAGES}/1.1.0.0/withdraw`)).toBe(true));
  });

  it('submits a draft with a note', async () => {
    const calls = show(
      [version('1.0.0.0')],
      [['POST', `${PACKAGES}/1.0.0.0/submit`, { status: 200, body: version('1.0.0.0', { state: 'in-review' }).review }]],
    );
    const u = userEvent.setup({ delay: null });
    await u.click(button(await rowOf('1.0.0.0'), 'Submit for Review') as HTMLElement);
    const dialog = await findDialog('Submit 1.0.0.0 of Coupons for review');
    await u.click(within(dialog).getByLabelText('Note (optional)'));
    await u.paste('First version');
    await u.click(within(dialog).getByRole('button', { name: 'Submit for Review' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ note: 'First version' }));
    expect(await screen.findByText('1.0.0.0 has been submitted for review.')).toBeTruthy();
  });

  it('does not offer to submit a version whose check failed, and shows what the check found', async () => {
    show([
      version('1.0.0.0', {
        checks: [{ name: 'paths', outcome: 'fail', detail: 'an entry escapes the package: ../evil.js' }],
      }),
    ]);
    const row = await rowOf('1.0.0.0');
    expect(within(row).getByText('Fail')).toBeTruthy();
    expect(button(row, 'Submit for Review')?.hasAttribute('disabled')).toBe(true);
    // The checks of the newest version are shown below the list.
    expect(screen.getByText('an entry escapes the package: ../evil.js')).toBeTruthy();
  });
});
