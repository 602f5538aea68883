import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { MiniProgram } from '@mpop/contracts';
import { fakeFetch, renderWithProviders } from '../../test/render';
import { MiniProgramsPage } from './MiniProgramsPage';

const mp = (name: string, id: string): MiniProgram => ({
  miniProgramId: id,
  name,
  orgId: 'platform',
  releasedVersion: null,
  rollout: null,
  authorizedHostApps: 0,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
});
const coupons = mp('Coupons', '1234567890123456');
const deals = mp('Deals', '1234567890123457');

describe('Mini Programs: search and total', () => {
  it('says how many there are, and asks the server for the ones matching a search', async () => {
    const calls = fakeFetch([
      { status: 200, body: { items: [coupons, deals], total: 2 } },
      { status: 200, body: { items: [] } },
      { status: 200, body: { items: [coupons], total: 1 } },
      { status: 200, body: { items: [], total: 0 } },
    ]);
    renderWithProviders(<MiniProgramsPage />, { lang: 'zh' });
    expect(await screen.findByText('共 2 个小程序')).toBeTruthy();
    const user = userEvent.setup({ delay: null });
    const box = screen.getByPlaceholderText('请输入小程序名称或 ID');
    await user.type(box, 'coup{Enter}');
    expect(await screen.findByText('共 1 个小程序')).toBeTruthy();
    expect(screen.queryByText('Deals')).toBeNull();
    expect(calls.map((c) => c.url)).toContain('/api/v1/mini-programs?query=coup');
    await user.clear(box);
    await user.type(box, 'zzz{Enter}');
    expect(await screen.findByText('没有与“zzz”匹配的小程序。')).toBeTruthy();
    await waitFor(() => expect(calls.at(-1)?.url).toBe('/api/v1/mini-programs?query=zzz'));
  }, 60_000);
});
