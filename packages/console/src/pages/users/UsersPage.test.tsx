import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { User } from '@mpop/contracts';
import { UsersPage } from './UsersPage';
import { fakeFetch, problem, renderWithProviders } from '../../test/render';

const user = (username: string, role: User['role'], disabled = false): User => ({
  username,
  role,
  sso: false,
  disabled,
  createdAt: '2026-11-25T00:00:00.000Z',
});
const users = (...items: User[]) => ({ status: 200, body: { items } });
const rowOf = async (name: string) => (await screen.findByText(name, { selector: 'strong' })).closest('tr') as HTMLElement;

describe('UsersPage', () => {
  it('lists users with role and state; the last enabled admin cannot be demoted, disabled or deleted', async () => {
    fakeFetch([users(user('alice', 'admin'), user('bob', 'admin', true), user('olga', 'operator'))]);
    renderWithProviders(<UsersPage />);
    const alice = await rowOf('alice');
    expect(within(alice).getByText('you')).toBeTruthy();
    expect(within(alice).getByText('Admin')).toBeTruthy();
    expect(within(await rowOf('bob')).getByText('Disabled')).toBeTruthy();
    expect(within(alice).getByRole('button', { name: 'Change Role' }).hasAttribute('disabled')).toBe(true);
    expect(within(alice).getByRole('button', { name: 'Reset Password' }).hasAttribute('disabled')).toBe(false);
    await userEvent.setup({ delay: null }).click(within(alice).getByRole('button', { name: 'More' }));
    const menu = await screen.findByRole('menu');
    for (const label of ['Disable', 'Delete']) {
      expect(within(menu).getByRole('menuitem', { name: label }).getAttribute('aria-disabled')).toBe('true');
    }
    // Another admin is not protected, and a disabled one can be enabled.
    const olga = await rowOf('olga');
    expect(within(olga).getByRole('button', { name: 'Change Role' }).hasAttribute('disabled')).toBe(false);
  });

  it("warns, when resetting a password, that the user's API tokens stop working", async () => {
    fakeFetch([users(user('alice', 'admin'), user('olga', 'operator'))]);
    renderWithProviders(<UsersPage />);
    await userEvent.setup({ delay: null }).click(within(await rowOf('olga')).getByRole('button', { name: 'Reset Password' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/the API tokens they created stop working/)).toBeTruthy();
  });

  it('with two enabled admins, either may be changed', async () => {
    fakeFetch([users(user('alice', 'admin'), user('bob', 'admin'))]);
    renderWithProviders(<UsersPage />);
    for (const name of ['alice', 'bob']) {
      expect(
        within(await rowOf(name))
          .getByRole('button', { name: 'Change Role' })
          .hasAttribute('disabled'),
      ).toBe(false);
    }
  });

  it('adds a user with a role, then shows them', async () => {
    const calls = fakeFetch([
      users(user('alice', 'admin')),
      { status: 201, body: user('carol', 'operator') },
      users(user('alice', 'admin'), user('carol', 'operator')),
    ]);
    renderWithProviders(<UsersPage />);
    await rowOf('alice');
    const u = userEvent.setup({ delay: null });
    await u.click(screen.getByRole('button', { name: /Add User/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Add User' });
    await u.type(within(dialog).getByLabelText('Username'), 'carol');
    await u.type(within(dialog).getByLabelText('Password'), 'carol-password-1');
    await u.click(within(dialog).getByLabelText('Role'));
    await u.click(await screen.findByTitle('Operator'));
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await rowOf('carol')).toBeTruthy();
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ username: 'carol', password: 'carol-password-1', role: 'operator' });
  });

  it('adds a member-only user (no platform role): the role is left out', async () => {
    const calls = fakeFetch([
      users(user('alice', 'admin')),
      { status: 201, body: { ...user('dev', 'viewer'), role: null } },
      users(user('alice', 'admin'), { ...user('dev', 'viewer'), role: null }),
    ]);
    renderWithProviders(<UsersPage />);
    await rowOf('alice');
    const u = userEvent.setup({ delay: null });
    await u.click(screen.getByRole('button', { name: /Add User/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Add User' });
    await u.click(within(dialog).getByLabelText('Username'));
    await u.paste('dev');
    await u.click(within(dialog).getByLabelText('Password'));
    await u.paste('dev-password-123');
    await u.click(within(dialog).getByLabelText('Role'));
    await u.click(await screen.findByTitle('Organisation member only'));
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(within(await rowOf('dev')).getByText('Organisation member only')).toBeTruthy();
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ username: 'dev', password: 'dev-password-123' });
  });

  it("shows the server's LAST_ADMIN refusal if the list was out of date", async () => {
    const calls = fakeFetch([
      users(user('alice', 'admin'), user('bob', 'admin')),
      problem(409, 'LAST_ADMIN', '"bob" is the last enabled admin; make another user an admin first.'),
    ]);
    renderWithProviders(<UsersPage />);
    const bob = await rowOf('bob');
    const u = userEvent.setup({ delay: null });
    await u.click(within(bob).getByRole('button', { name: 'More' }));
    await u.click(await screen.findByRole('menuitem', { name: 'Disable' }));
    const confirm = await screen.findByRole('dialog', { name: 'Disable the user "bob"?' });
    await u.click(within(confirm).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(/The last enabled admin cannot be deleted, disabled or demoted\./)).toBeTruthy();
    await waitFor(() => expect(JSON.parse(String(calls[1].init?.body))).toEqual({ disabled: true }));
  });

  it('is not shown to an operator, and asks the server nothing', async () => {
    const calls = fakeFetch([]);
    renderWithProviders(<UsersPage />, { role: 'operator' });
    expect(await screen.findByText('Your role (Operator) may not open this page.')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });
});
