import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Webhook, WebhookDelivery } from '@mpop/contracts';
import { WebhooksPage } from './WebhooksPage';
import { fakeFetch, problem, renderWithProviders } from '../../test/render';

const hook: Webhook = {
  webhookId: 'w1',
  url: 'https://hooks.example.com/mpop',
  events: ['release.created', 'release.taken-down'],
  description: 'release bot',
  createdAt: '2026-11-25T00:00:00.000Z',
  createdBy: 'alice',
};
const delivery = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
  deliveryId: '1',
  messageId: 'msg_1',
  eventType: 'release.created',
  status: 'delivered',
  attempts: 1,
  lastResponseStatus: 204,
  lastError: null,
  nextAttemptAt: null,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
  deliveredAt: '2026-11-25T00:00:00.000Z',
  ...over,
});

describe('WebhooksPage', () => {
  it('lists webhooks with their events, and shows the deliveries of one', async () => {
    fakeFetch([
      { status: 200, body: { items: [hook] } },
      {
        status: 200,
        body: {
          items: [
            delivery({
              deliveryId: '2',
              eventType: 'release.taken-down',
              status: 'pending',
              attempts: 2,
              lastResponseStatus: 500,
              lastError: 'answered 500',
              nextAttemptAt: '2026-11-25T01:00:00.000Z',
              deliveredAt: null,
            }),
            delivery({}),
          ],
        },
      },
    ]);
    renderWithProviders(<WebhooksPage />);
    const u = userEvent.setup({ delay: null });
    const row = (await screen.findByText(hook.url)).closest('tr') as HTMLElement;
    expect(within(row).getByText('release bot')).toBeTruthy();
    expect(within(row).getByText('release.taken-down')).toBeTruthy();
    await u.click(within(row).getByRole('button', { name: 'Deliveries' }));
    const dialog = await screen.findByRole('dialog', { name: `Deliveries to ${hook.url}` });
    expect(await within(dialog).findByText('Pending')).toBeTruthy();
    expect(within(dialog).getByText('Delivered')).toBeTruthy();
    expect(within(dialog).getByText('500')).toBeTruthy();
  });

  it('adds a webhook and shows its secret once; a refused URL shows why', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [] } },
      problem(400, 'WEBHOOK_URL_NOT_ALLOWED', 'The webhook URL points to 127.0.0.1, which is a loopback address.'),
      { status: 201, body: { ...hook, secret: 'whsec_c2VjcmV0LXNob3duLW9uY2U=' } },
      { status: 200, body: { items: [hook] } },
    ]);
    renderWithProviders(<WebhooksPage />);
    const u = userEvent.setup({ delay: null });
    await screen.findByText(/No webhooks yet/);
    await u.click(screen.getAllByRole('button', { name: /Add Webhook/ })[0]);
    const dialog = await screen.findByRole('dialog', { name: 'Add Webhook' });
    const fill = async (label: string, text: string) => {
      await u.click(within(dialog).getByLabelText(label));
      await u.paste(text);
    };
    await fill('URL', 'http://127.0.0.1/hook');
    await u.click(within(dialog).getByLabelText('release.created'));
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await within(dialog).findByText(/127\.0\.0\.1, which is a loopback address/)).toBeTruthy();
    await u.clear(within(dialog).getByLabelText('URL'));
    await fill('URL', hook.url);
    await u.click(within(dialog).getByLabelText('release.taken-down'));
    await fill('Description', 'release bot');
    await u.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    const shown = await screen.findByRole('dialog', { name: 'Webhook Added' });
    expect((within(shown).getByTestId('webhook-secret') as HTMLInputElement).value).toBe('whsec_c2VjcmV0LXNob3duLW9uY2U=');
    expect(JSON.parse(String(calls[2].init?.body))).toEqual({
      url: hook.url,
      events: ['release.created', 'release.taken-down'],
      description: 'release bot',
    });
    await u.click(within(shown).getAllByRole('button', { name: 'Close' }).at(-1) as HTMLElement);
    await waitFor(() => expect(screen.queryByDisplayValue('whsec_c2VjcmV0LXNob3duLW9uY2U=')).toBeNull());
  });

  it('is for admins only', async () => {
    fakeFetch([]);
    renderWithProviders(<WebhooksPage />, { role: 'operator' });
    expect(await screen.findByText('403')).toBeTruthy();
  });
});
