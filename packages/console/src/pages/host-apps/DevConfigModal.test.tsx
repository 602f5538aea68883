import { describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { HostApp } from '@mpop/contracts';
import { DevConfigModal } from './DevConfigModal';
import { fakeFetch, problem, renderWithProviders } from '../../test/render';

const app: HostApp = {
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
const keyFile = () =>
  new File(['-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n'], 'private_key.pem', { type: 'application/x-pem-file' });

/** The form item (label, control, its errors) of a field, found by its label. */
const formItem = (label: string) => {
  const item = screen.getByText(label, { selector: 'label' }).closest('.ant-form-item');
  if (!item) throw new Error(`no form item labelled ${label}`);
  return item as HTMLElement;
};
/** The dialog's own problem alert (not a field's error list). */
const dialogAlert = () => document.querySelector('.ant-modal .ant-alert');

async function fillAndConfirm(container: HTMLElement, domain: string) {
  const user = userEvent.setup({ delay: null });
  await user.type(screen.getByLabelText('Virtual domain'), domain);
  await user.upload(container.ownerDocument.querySelector('input[type=file]') as HTMLInputElement, keyFile());
  await user.click(screen.getByRole('button', { name: 'Confirm' }));
}

describe('DevConfigModal', () => {
  it('rejects a URL as the virtual domain and asks for the key file before calling the API', async () => {
    const calls = fakeFetch([]);
    renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={() => {}} />);
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByLabelText('Virtual domain'), 'https://shop.example.com/path');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await within(formItem('Virtual domain')).findByText('Enter a host name only, like example.com.')).toBeTruthy();
    await user.clear(screen.getByLabelText('Virtual domain'));
    await user.type(screen.getByLabelText('Virtual domain'), 'shop.example.com');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await within(formItem('Private key file')).findByText('Choose the private key file (.pem).')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it("shows the API's key problem inside the Private key file item (not in the dialog's alert) and does not report success", async () => {
    const detail =
      'The private key is protected by a passphrase. Remove it first (openssl rsa -in key.pem -out key-plain.pem) and upload the result.';
    const calls = fakeFetch([problem(400, 'ENCRYPTED_PRIVATE_KEY', detail, [{ path: 'privateKey', message: detail }])]);
    const onSaved = vi.fn();
    const { container } = renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={onSaved} />);
    await fillAndConfirm(container, 'shop.example.com');
    const item = formItem('Private key file');
    // The console's own words for the code, then the server's specifics, both under the field.
    expect(await within(item).findByText('The private key is protected by a passphrase; upload it without one.')).toBeTruthy();
    expect(within(item).getByText(detail)).toBeTruthy();
    expect(dialogAlert()).toBeNull();
    expect(within(formItem('Virtual domain')).queryByText(detail)).toBeNull();
    expect(onSaved).not.toHaveBeenCalled();
    const body = calls[0].init?.body as FormData;
    expect(body.get('virtualDomain')).toBe('shop.example.com');
    expect((body.get('privateKey') as File).name).toBe('private_key.pem');
    // The refused file is no longer shown as chosen.
    expect(within(item).queryByText('private_key.pem')).toBeNull();
  });

  it('shows INVALID_VIRTUAL_DOMAIN from the API inside the Virtual domain item', async () => {
    const detail = 'The virtual domain must not be an IP address. Enter a host name only, like example.com.';
    fakeFetch([problem(400, 'INVALID_VIRTUAL_DOMAIN', detail, [{ path: 'virtualDomain', message: 'must not be an IP address' }])]);
    const { container } = renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={() => {}} />);
    await fillAndConfirm(container, 'shop.example.123');
    expect(await within(formItem('Virtual domain')).findByText(detail)).toBeTruthy();
    expect(dialogAlert()).toBeNull();
    expect(within(formItem('Private key file')).queryByText(detail)).toBeNull();
  });

  it("shows a problem that names no field in the dialog's alert, in Chinese when the UI is Chinese", async () => {
    fakeFetch([problem(503, 'DATABASE_UNAVAILABLE', 'The database is not answering. Try again shortly.')]);
    const { container } = renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={() => {}} />, { lang: 'zh' });
    const user = userEvent.setup({ delay: null });
    await user.type(screen.getByLabelText('虚拟域名'), 'shop.example.com');
    await user.upload(container.ownerDocument.querySelector('input[type=file]') as HTMLInputElement, keyFile());
    await user.click(screen.getByRole('button', { name: /确\s?定/ }));
    const alert = await screen.findByText('数据库无响应，请稍后再试。');
    expect(alert.closest('.ant-alert')).not.toBeNull();
  });
});
