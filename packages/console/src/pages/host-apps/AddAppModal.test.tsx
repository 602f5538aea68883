import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AddAppModal } from './AddAppModal';
import { fakeFetch, renderWithProviders } from '../../test/render';

const app = {
  appId: 'ABCDEF0123456',
  workspaceId: 'default',
  tenantId: 'ABCDEFGH',
  name: 'Shop',
  source: 'manual',
  devConfigured: false,
  enabled: true,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
};

describe('AddAppModal', () => {
  it('requires the app name and checks the workspaceId before calling the API', async () => {
    const calls = fakeFetch([]);
    renderWithProviders(<AddAppModal open onClose={() => {}} onCreated={() => {}} onGoToDevConfig={() => {}} />);
    const user = userEvent.setup({ delay: null });
    await user.clear(screen.getByLabelText('workspaceId'));
    await user.type(screen.getByLabelText('workspaceId'), 'bad space');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Enter the app name.')).toBeTruthy();
    expect(await screen.findByText(/Use letters, digits, _ and -/)).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('shows the API problem next to the name field (NAME_TAKEN) and creates nothing', async () => {
    fakeFetch([
      {
        status: 409,
        body: {
          type: 'x',
          title: 'Conflict',
          status: 409,
          code: 'NAME_TAKEN',
          detail: 'Workspace default already has a host app named "Shop"; choose another name.',
          errors: [{ path: 'name', message: 'already taken in this workspace' }],
        },
      },
    ]);
    const onCreated = vi.fn();
    renderWithProviders(<AddAppModal open onClose={() => {}} onCreated={onCreated} onGoToDevConfig={() => {}} />);
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByLabelText('App name'), 'Shop');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    const item = screen.getByText('App name', { selector: 'label' }).closest('.ant-form-item') as HTMLElement;
    expect(await within(item).findByText(/already has a host app named "Shop"/)).toBeTruthy();
    expect(within(item).getByText('An app with this name already exists in the workspace.')).toBeTruthy();
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('shows the generated APPID and Tenant ID, and offers the development configuration', async () => {
    const calls = fakeFetch([{ status: 201, body: app }]);
    const go = vi.fn();
    renderWithProviders(<AddAppModal open onClose={() => {}} onCreated={() => {}} onGoToDevConfig={go} />);
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByLabelText('App name'), '  Shop  ');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('ABCDEF0123456')).toBeTruthy();
    expect(screen.getByText('ABCDEFGH')).toBeTruthy();
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ name: 'Shop', workspaceId: 'default' });
    expect(screen.getByRole('button', { name: 'Copy APPID' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Go to Development Configuration' }));
    await waitFor(() => expect(go).toHaveBeenCalledWith(app));
  });
});
