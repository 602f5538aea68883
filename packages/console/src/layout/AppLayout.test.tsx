import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import type { Role } from '@mpop/contracts';
import { AppLayout } from './AppLayout';
import { renderWithProviders } from '../test/render';

const frame = (role: Role) =>
  renderWithProviders(
    <Routes>
      <Route element={<AppLayout />}>
        <Route path="/host-apps" element={<p>the page</p>} />
      </Route>
    </Routes>,
    { role, url: '/host-apps' },
  );
const menuItems = () =>
  within(screen.getByRole('navigation', { name: 'Mini Program Open Platform' }))
    .getAllByRole('menuitem')
    .map((i) => i.textContent);

describe('AppLayout', () => {
  it('shows an admin every page', async () => {
    frame('admin');
    await screen.findByText('the page');
    expect(menuItems()).toEqual(['Host App', 'Mini Programs', 'Users', 'API Tokens', 'Audit Log', 'Signing Jobs', 'Webhooks']);
  });

  it('shows an operator and a viewer no Users and no Webhooks', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const { unmount } = frame(role);
      await screen.findByText('the page');
      expect(menuItems()).toEqual(['Host App', 'Mini Programs', 'API Tokens', 'Audit Log', 'Signing Jobs']);
      unmount();
    }
  });

  it('shows the user, their role in the UI language, and Change Password in the user menu', async () => {
    frame('operator');
    await screen.findByText('the page');
    const button = screen.getByRole('button', { name: 'Account alice' });
    expect(within(button).getByText('Operator')).toBeTruthy();
    button.click();
    expect(await screen.findByRole('menuitem', { name: /Change Password/ })).toBeTruthy();
  });
});
