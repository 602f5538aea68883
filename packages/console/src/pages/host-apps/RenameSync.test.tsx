import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { HostApp } from '@mpop/contracts';
import { fakeFetch, problem, renderWithProviders } from '../../test/render';
import { RenameModal } from './RenameModal';
import { SyncModal } from './SyncModal';

const app: HostApp = {
  appId: 'ONEX3A7B5C9D1E2F3',
  workspaceId: 'default',
  tenantId: 'TENANTAB',
  name: 'Travel Companion',
  source: 'mpaas',
  devConfigured: false,
  enabled: true,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
};
const nameTaken = {
  ...problem(409, 'NAME_TAKEN', 'Workspace default already has a host app named "Travel Companion"; choose another name.', [
    { path: 'name', message: 'already taken in this workspace' },
  ]),
};
(nameTaken.body as Record<string, unknown>).params = { name: 'Travel Companion', workspaceId: 'default' };

describe('Sync: a name conflict can be solved in the dialog', () => {
  it('prefills the mPaaS name, says a taken name on the field, and sends the name chosen instead', async () => {
    const calls = fakeFetch([
      { status: 200, body: { apps: [{ appId: app.appId, appName: 'Travel Companion', tenantId: 'TENANTAB' }] } },
      { status: 200, body: { workspaces: [{ workspaceId: 'default', displayName: 'Default', tenantId: 'TENANTAB' }] } },
      { status: 200, body: { items: [], total: 0, page: 1, pageSize: 100 } },
      nameTaken,
      { status: 201, body: { ...app, name: 'Travel (mPaaS)' } },
    ]);
    const onSynced = vi.fn();
    renderWithProviders(<SyncModal open onClose={() => {}} onSynced={onSynced} />);
    const user = userEvent.setup({ delay: null });
    const select = async (label: string, option: RegExp) => {
      await user.click(screen.getByLabelText(label));
      await user.click(
        await screen.findByText(option, { selector: '.ant-select-item-option-content, .ant-select-item-option-content > span' }),
      );
    };
    await waitFor(() => expect(calls).toHaveLength(2));
    await select('mPaaS app', /Travel Companion/);
    await select('Workspace', /Default \(default\)/);
    const name = screen.getByLabelText('Name in mpop') as HTMLInputElement;
    await waitFor(() => expect(name.value).toBe('Travel Companion'));
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Workspace default already has an app named "Travel Companion". Choose another name.')).toBeTruthy();
    expect(JSON.parse(String(calls[3].init?.body))).toEqual({ appId: app.appId, workspaceId: 'default' });

    await user.clear(name);
    await user.type(name, 'Travel (mPaaS)');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(onSynced).toHaveBeenCalled());
    expect(JSON.parse(String(calls[4].init?.body))).toEqual({ appId: app.appId, workspaceId: 'default', name: 'Travel (mPaaS)' });
  }, 60_000);
});

describe('Rename', () => {
  it('renames with PATCH name, and says a taken name on the field in Chinese', async () => {
    const calls = fakeFetch([nameTaken, { status: 200, body: { ...app, name: 'Travel 2' } }]);
    const onRenamed = vi.fn();
    renderWithProviders(<RenameModal app={app} onClose={() => {}} onRenamed={onRenamed} />, { lang: 'zh' });
    const user = userEvent.setup({ delay: null });
    const name = (await screen.findByLabelText('应用名称')) as HTMLInputElement;
    expect(name.value).toBe('Travel Companion');
    await user.click(screen.getByRole('button', { name: /确\s?定|确认/ }));
    expect(await screen.findByText('工作空间 default 中已有名为“Travel Companion”的应用。请换一个名称。')).toBeTruthy();
    await user.clear(name);
    await user.type(name, 'Travel 2');
    await user.click(screen.getByRole('button', { name: /确\s?定|确认/ }));
    await waitFor(() => expect(onRenamed).toHaveBeenCalledWith({ ...app, name: 'Travel 2' }));
    expect(calls[1].url).toBe('/api/v1/host-apps/default/ONEX3A7B5C9D1E2F3');
    expect(calls[1].init?.method).toBe('PATCH');
    expect(JSON.parse(String(calls[1].init?.body))).toEqual({ name: 'Travel 2' });
  }, 60_000);
});
