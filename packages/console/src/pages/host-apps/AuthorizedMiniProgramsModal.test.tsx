import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { MiniProgram } from '@mpop/contracts';
import { fakeFetch, renderWithProviders } from '../../test/render';
import { SHOP_APP } from '../../test/host-app-fixture';
import { AuthorizedMiniProgramsModal } from './AuthorizedMiniProgramsModal';

const app = SHOP_APP;
const mp: MiniProgram = {
  miniProgramId: '1234567890123456',
  name: 'Coupons',
  orgId: 'platform',
  releasedVersion: null,
  rollout: null,
  authorizedHostApps: 0,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
};
const authorised = { miniProgramId: mp.miniProgramId, name: mp.name, releasedVersion: null, authorizedAt: '2026-11-25T00:00:00.000Z' };

describe('AuthorizedMiniProgramsModal', () => {
  it('says that Authorise worked, in the UI language', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [] } },
      { status: 200, body: { items: [mp] } },
      { status: 200, body: { ...authorised, signing: { id: 'j', status: 'done' } } },
      { status: 200, body: { items: [authorised] } },
      { status: 200, body: { items: [{ ...mp, authorizedHostApps: 1 }] } },
    ]);
    renderWithProviders(<AuthorizedMiniProgramsModal app={app} onClose={() => {}} />, { lang: 'zh' });
    const user = userEvent.setup({ delay: null });
    await waitFor(() => expect(calls).toHaveLength(2));
    await user.click(screen.getByLabelText('要授权的小程序'));
    await user.click(await screen.findByText('Coupons (1234567890123456)', { selector: '.ant-select-item-option-content' }));
    await user.click(screen.getByRole('button', { name: /授\s?权/ }));
    expect(await screen.findByText('已将 Coupons 授权给 Shop。')).toBeTruthy();
    expect(calls[2].init?.method).toBe('PUT');
  }, 60_000);
});
