import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ChangePasswordModal } from './ChangePasswordModal';
import { fakeFetch, problem, renderWithProviders } from '../test/render';

const item = (label: string) => screen.getByText(label, { selector: 'label' }).closest('.ant-form-item') as HTMLElement;

describe('ChangePasswordModal', () => {
  it('checks that the new password is long enough and typed twice the same, before calling the API', async () => {
    const calls = fakeFetch([]);
    renderWithProviders(<ChangePasswordModal open onClose={() => {}} />);
    const u = userEvent.setup({ delay: null });
    await u.type(screen.getByLabelText('Current password'), 'old-password-123');
    await u.type(screen.getByLabelText('New password'), 'short');
    await u.type(screen.getByLabelText('Confirm new password'), 'different-password');
    await u.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await within(item('New password')).findByText('Use at least 12 characters.')).toBeTruthy();
    expect(await within(item('Confirm new password')).findByText('The two passwords differ.')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('shows a wrong current password under that field', async () => {
    fakeFetch([
      problem(400, 'WRONG_CURRENT_PASSWORD', 'The current password is wrong; nothing was changed.', [
        { path: 'currentPassword', message: 'is wrong' },
      ]),
    ]);
    const onClose = vi.fn();
    renderWithProviders(<ChangePasswordModal open onClose={onClose} />);
    const u = userEvent.setup({ delay: null });
    await u.type(screen.getByLabelText('Current password'), 'not-my-password');
    await u.type(screen.getByLabelText('New password'), 'a-new-password-1');
    await u.type(screen.getByLabelText('Confirm new password'), 'a-new-password-1');
    await u.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await within(item('Current password')).findByText('The current password is wrong.')).toBeTruthy();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('changes the password and closes', async () => {
    const calls = fakeFetch([{ status: 204 }]);
    const onClose = vi.fn();
    renderWithProviders(<ChangePasswordModal open onClose={onClose} />);
    const u = userEvent.setup({ delay: null });
    await u.type(screen.getByLabelText('Current password'), 'old-password-123');
    await u.type(screen.getByLabelText('New password'), 'a-new-password-1');
    await u.type(screen.getByLabelText('Confirm new password'), 'a-new-password-1');
    await u.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls[0].url).toBe('/api/v1/session/password');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ currentPassword: 'old-password-123', newPassword: 'a-new-password-1' });
  });
});
