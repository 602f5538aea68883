import { describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { HostApp } from '@mpop/contracts';
import { DevConfigModal } from './DevConfigModal';
import { fakeFetch, renderWithProviders } from '../../test/render';

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

describe('DevConfigModal', () => {
  it('rejects a URL as the virtual domain and asks for the key file before calling the API', async () => {
    const calls = fakeFetch([]);
    renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={() => {}} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Virtual Domain'), 'https://shop.example.com/path');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Enter a host name only, like example.com.')).toBeTruthy();
    await user.clear(screen.getByLabelText('Virtual Domain'));
    await user.type(screen.getByLabelText('Virtual Domain'), 'shop.example.com');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Choose the private key file (.pem).')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it("shows the API's key problem under the Private Key File field and does not report success", async () => {
    const detail =
      'The private key is protected by a passphrase. Remove it first (openssl rsa -in key.pem -out key-plain.pem) and upload the result.';
    const calls = fakeFetch([
      { status: 400, body: { type: 'x', title: 'Bad Request', status: 400, code: 'ENCRYPTED_PRIVATE_KEY', detail } },
    ]);
    const onSaved = vi.fn();
    const { container } = renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={onSaved} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Virtual Domain'), 'shop.example.com');
    await user.upload(container.ownerDocument.querySelector('input[type=file]') as HTMLInputElement, keyFile());
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(detail)).toBeTruthy();
    expect(onSaved).not.toHaveBeenCalled();
    const body = calls[0].init?.body as FormData;
    expect(body.get('virtualDomain')).toBe('shop.example.com');
    expect((body.get('privateKey') as File).name).toBe('private_key.pem');
  });

  it('shows INVALID_VIRTUAL_DOMAIN from the API under the Virtual Domain field', async () => {
    const detail = 'The virtual domain must not be an IP address. Enter a host name only, like example.com.';
    fakeFetch([{ status: 400, body: { type: 'x', title: 'Bad Request', status: 400, code: 'INVALID_VIRTUAL_DOMAIN', detail } }]);
    const { container } = renderWithProviders(<DevConfigModal app={app} onClose={() => {}} onSaved={() => {}} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Virtual Domain'), 'shop.example.123');
    await user.upload(container.ownerDocument.querySelector('input[type=file]') as HTMLInputElement, keyFile());
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(detail)).toBeTruthy();
  });
});
