import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { OrganisationsPage } from './OrganisationsPage';
import { items, org } from '../../test/open-platform-fixtures';
import { fakeApi, findDialog, problem, renderWithProviders } from '../../test/render';

const ORGS = items([org('acme'), org('platform', { name: 'Platform', reviewRequired: false }), org('globex', { suspended: true })]);
const rowOf = async (name: string) => (await screen.findByText(name, { selector: 'strong' })).closest('tr') as HTMLElement;

describe('OrganisationsPage', () => {
  it('offers an admin Create, Edit and Suspend', async () => {
    fakeApi([['GET', '/api/v1/organisations', ORGS]]);
    renderWithProviders(<OrganisationsPage />, { role: 'admin' });
    const acme = await rowOf('Acme Vendors');
    expect(within(acme).getByText('Review required')).toBeTruthy();
    expect(screen.getByRole('button', { name: /Create Organisation/ })).toBeTruthy();
    expect(within(acme).getByRole('button', { name: 'Members' })).toBeTruthy();
    await userEvent.setup({ delay: null }).click(within(acme).getByRole('button', { name: 'More' }));
    expect(await screen.findByRole('menuitem', { name: 'Edit' })).toBeTruthy();
    expect(screen.getByRole('menuitem', { name: 'Suspend' })).toBeTruthy();
    expect(within(await rowOf('globex')).getByText('Suspended')).toBeTruthy();
  });

  it('shows an operator the organisations and their members, and nothing to change', async () => {
    fakeApi([
      ['GET', '/api/v1/organisations', ORGS],
      ['GET', '/api/v1/organisations/acme/members', items([{ username: 'dev', role: 'owner', addedAt: '2026-12-01T00:00:00.000Z' }])],
    ]);
    renderWithProviders(<OrganisationsPage />, { role: 'operator' });
    const acme = await rowOf('Acme Vendors');
    expect(screen.queryByRole('button', { name: /Create Organisation/ })).toBeNull();
    expect(within(acme).queryByRole('button', { name: 'More' })).toBeNull();
    await userEvent.setup({ delay: null }).click(within(acme).getByRole('button', { name: 'Members' }));
    const members = await findDialog('Members · Acme Vendors');
    expect(await within(members).findByText('dev')).toBeTruthy();
    expect(within(members).queryByRole('button', { name: 'Add Member' })).toBeNull();
    expect(within(members).queryByRole('button', { name: 'Remove' })).toBeNull();
  });

  it('lets an admin add a member with a role; the last owner cannot be removed', async () => {
    const calls = fakeApi([
      ['GET', '/api/v1/organisations', ORGS],
      ['GET', '/api/v1/organisations/acme/members', items([{ username: 'dev', role: 'owner', addedAt: '2026-12-01T00:00:00.000Z' }])],
      [
        'PUT',
        '/api/v1/organisations/acme/members/erin',
        { status: 200, body: { username: 'erin', role: 'developer', addedAt: '2026-12-02T00:00:00.000Z' } },
      ],
    ]);
    renderWithProviders(<OrganisationsPage />, { role: 'admin' });
    const u = userEvent.setup({ delay: null });
    await u.click(within(await rowOf('Acme Vendors')).getByRole('button', { name: 'Members' }));
    const members = await findDialog('Members · Acme Vendors');
    const dev = (await within(members).findByText('dev')).closest('tr') as HTMLElement;
    expect(within(dev).getByRole('button', { name: 'Remove' }).hasAttribute('disabled')).toBe(true);
    await u.click(within(members).getByLabelText('Username'));
    await u.paste('erin');
    await u.click(within(members).getByRole('button', { name: 'Add Member' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ role: 'developer' }));
    expect(await screen.findByText('"erin" is now a member (Developer).')).toBeTruthy();
  });

  it("lets an owner (an operator here) remove a member after confirming, and says a refused role change in the console's words", async () => {
    const dev = { username: 'dev', role: 'owner', addedAt: '2026-12-01T00:00:00.000Z' };
    const erin = { username: 'erin', role: 'developer', addedAt: '2026-12-02T00:00:00.000Z' };
    const calls = fakeApi([
      ['GET', '/api/v1/organisations', ORGS],
      ['GET', '/api/v1/organisations/acme/members', items([dev, erin]), items([dev])],
      ['PUT', '/api/v1/organisations/acme/members/erin', problem(409, 'LAST_OWNER', 'The last owner stays.')],
      ['DELETE', '/api/v1/organisations/acme/members/erin', { status: 204 }],
    ]);
    renderWithProviders(<OrganisationsPage />, { role: 'operator', memberships: [{ orgId: 'acme', role: 'owner' }] });
    const u = userEvent.setup({ delay: null });
    await u.click(within(await rowOf('Acme Vendors')).getByRole('button', { name: 'Members' }));
    const members = await findDialog('Members · Acme Vendors');
    const row = () => within(members).getByText('erin').closest('tr') as HTMLElement;
    await within(members).findByText('erin');

    await u.click(within(row()).getByRole('button', { name: 'Change Role: Owner' }));
    expect(await screen.findByText(/The last owner of an organisation cannot be removed/)).toBeTruthy();

    await u.click(within(row()).getByRole('button', { name: 'Remove' }));
    const confirm = await waitFor(() => {
      const found = screen.getAllByRole('dialog').find((d) => d.textContent?.includes('Remove "erin" from Acme Vendors?'));
      if (!found) throw new Error('no confirmation yet');
      return found;
    });
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    await u.click(within(confirm).getByRole('button', { name: 'Remove' }));
    expect(await screen.findByText('"erin" is no longer a member.')).toBeTruthy();
    await waitFor(() => expect(within(members).queryByText('erin')).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/v1/organisations/acme/members/erin']);
  });

  it('speaks Chinese', async () => {
    fakeApi([['GET', '/api/v1/organisations', ORGS]]);
    renderWithProviders(<OrganisationsPage />, { role: 'admin', lang: 'zh' });
    const acme = await rowOf('Acme Vendors');
    expect(within(acme).getByText('需要审核')).toBeTruthy();
    expect(screen.getByRole('heading', { name: '组织' })).toBeTruthy();
    expect(screen.getByRole('button', { name: /创建组织/ })).toBeTruthy();
  });
});
