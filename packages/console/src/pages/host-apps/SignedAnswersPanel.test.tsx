import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ManifestInfo } from '@mpop/contracts';
import { fakeApi, findDialog, renderWithProviders } from '../../test/render';
import { SHOP_APP } from '../../test/host-app-fixture';
import { BasicInfoModal } from './BasicInfoModal';

const app = SHOP_APP;
const OLD = 'a'.repeat(64);
const info: ManifestInfo = {
  generation: 42,
  manifestTtlHours: 24,
  keyFingerprint: 'b'.repeat(64),
  previousKeys: [{ fingerprintSha256: OLD, replacedAt: '2026-11-26T00:00:00.000Z', revokedAt: null }],
};
const base = '/api/v1/host-apps/default/SHOP000000000';
const options = { status: 200, body: { localSignIn: true, sso: false, publicUrl: 'https://mpop.example.com' } };

describe('View Basic Information: signed answers', () => {
  it('shows the generation, the answer lifetime and the keys, and retires a replaced key after confirmation', async () => {
    const retired = { ...info, generation: 43, previousKeys: [{ ...info.previousKeys[0], revokedAt: '2026-12-01T00:00:00.000Z' }] };
    const calls = fakeApi([
      ['GET', '/api/v1/session/options', options],
      ['GET', `${base}/manifest`, { status: 200, body: info }, { status: 200, body: retired }],
      ['POST', `${base}/previous-keys/${OLD}/retire`, { status: 200, body: retired }],
    ]);
    renderWithProviders(<BasicInfoModal app={app} onClose={() => {}} />, { role: 'operator' });
    const panel = await screen.findByTestId('signed-answers');
    expect(within(panel).getByTestId('answer-generation').textContent).toBe('42');
    expect(panel.textContent).toContain('24 h (signed again after 12 h)');
    expect(panel.textContent).toContain('b'.repeat(64));
    const user = userEvent.setup({ delay: null });
    await user.click(within(screen.getByTestId(`previous-key-${OLD}`)).getByRole('button', { name: 'Retire now' }));
    const dialog = await findDialog(`Retire key ${OLD.slice(0, 16)}…?`);
    expect(calls.some((c) => c.method === 'POST')).toBe(false); // nothing before Confirm
    await user.click(within(dialog).getByRole('button', { name: 'Retire now' }));
    await waitFor(() => expect(calls.map((c) => `${c.method} ${c.url}`)).toContain(`POST ${base}/previous-keys/${OLD}/retire`));
    await waitFor(() => expect(screen.getByTestId('answer-generation').textContent).toBe('43'));
    expect(within(screen.getByTestId(`previous-key-${OLD}`)).queryByRole('button', { name: 'Retire now' })).toBeNull();
  });

  it('offers no Retire button to viewers, and speaks Chinese', async () => {
    fakeApi([
      ['GET', '/api/v1/session/options', options],
      ['GET', `${base}/manifest`, { status: 200, body: info }],
    ]);
    renderWithProviders(<BasicInfoModal app={app} onClose={() => {}} />, { role: 'viewer', lang: 'zh' });
    const panel = await screen.findByTestId('signed-answers');
    expect(panel.textContent).toContain('签名应答');
    expect(panel.textContent).toContain('仍被接受');
    expect(within(panel).queryByRole('button', { name: '立即停用' })).toBeNull();
  });
});
