import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import type { Role } from '@mpop/contracts';
import type { Membership } from '@mpop/contracts';
import { AppLayout } from './AppLayout';
import { renderWithProviders } from '../test/render';

const frame = (role: Role | 'member', url = '/host-apps', memberships: Membership[] = []) =>
  renderWithProviders(
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={null} />
        <Route path="/host-apps" element={<p>the page</p>} />
        <Route path="/developer/mini-programs" element={<p>my mini programs</p>} />
      </Route>
    </Routes>,
    { role, url, memberships },
  );
const menuItems = () =>
  within(screen.getByRole('navigation', { name: 'Mini Program Open Platform' }))
    .getAllByRole('menuitem')
    .map((i) => i.textContent);
const ADMIN_BACKEND = ['Host App', 'Mini Programs', 'Organisations', 'Association Requests', 'Review Queue'];

describe('AppLayout', () => {
  it('shows an admin every page of the Admin Backend', async () => {
    frame('admin');
    await screen.findByText('the page');
    expect(menuItems()).toEqual([...ADMIN_BACKEND, 'Users', 'API Tokens', 'Audit Log', 'Signing Jobs', 'Webhooks']);
  });

  it('shows an operator and a viewer no Users and no Webhooks', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const { unmount } = frame(role);
      await screen.findByText('the page');
      expect(menuItems()).toEqual([...ADMIN_BACKEND, 'API Tokens', 'Audit Log', 'Signing Jobs']);
      unmount();
    }
  });

  it('shows a member only the Developer Backend, starts them there, and keeps host apps from them', async () => {
    const { unmount } = frame('member', '/', [{ orgId: 'acme', role: 'developer' }]);
    expect(await screen.findByText('my mini programs')).toBeTruthy();
    expect(menuItems()).toEqual(['My Mini Programs', 'Association Requests', 'API Tokens']);
    expect(screen.getByText('Developer Backend')).toBeTruthy();
    expect(screen.queryByText('Host App')).toBeNull();
    unmount();
    // An old link to a page of the Admin Backend is refused, not loaded.
    frame('member', '/host-apps', [{ orgId: 'acme', role: 'developer' }]);
    expect(await screen.findByText('Your role (Organisation member only) may not open this page.')).toBeTruthy();
    expect(screen.queryByText('the page')).toBeNull();
  });

  it('shows a platform user who is also a member both backends, starting on the Admin Backend', async () => {
    frame('operator', '/', [{ orgId: 'acme', role: 'owner' }]);
    expect(await screen.findByText('the page')).toBeTruthy();
    expect(menuItems()).toEqual([...ADMIN_BACKEND, 'API Tokens', 'Audit Log', 'Signing Jobs', 'My Mini Programs', 'Association Requests']);
  });

  it('keeps the Developer Backend from a platform user who is no member', async () => {
    frame('admin', '/developer/mini-programs');
    expect(await screen.findByText('Your role (Admin) may not open this page.')).toBeTruthy();
  });

  it('shows the user, their role in the UI language, and Change Password in the user menu', async () => {
    frame('operator');
    await screen.findByText('the page');
    const button = screen.getByRole('button', { name: 'Account alice' });
    expect(within(button).getByText('Operator')).toBeTruthy();
    button.click();
    expect(await screen.findByRole('menuitem', { name: /Change Password/ })).toBeTruthy();
  });

  it('warns, in the Change Password dialog, that the API tokens one created stop working', async () => {
    frame('viewer');
    await screen.findByText('the page');
    screen.getByRole('button', { name: 'Account alice' }).click();
    (await screen.findByRole('menuitem', { name: /Change Password/ })).click();
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/the API tokens you created stop working/)).toBeTruthy();
  });
});
