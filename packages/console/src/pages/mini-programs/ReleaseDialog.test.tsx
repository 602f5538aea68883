import { describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { MiniProgram, Release } from '@mpop/contracts';
import { fakeFetch, renderWithProviders } from '../../test/render';
import { ReleaseDialog } from './ReleaseDialog';

const program: MiniProgram = {
  miniProgramId: '1234567890123456',
  name: 'Coupons',
  orgId: 'platform',
  releasedVersion: '1.0.0.0',
  rollout: null,
  authorizedHostApps: 2,
  createdAt: '2026-11-25T00:00:00.000Z',
  updatedAt: '2026-11-25T00:00:00.000Z',
};
const complete: Release = {
  releaseId: 'r1',
  miniProgramId: program.miniProgramId,
  version: '1.0.0.0',
  previousVersion: null,
  state: 'complete',
  percent: 100,
  steps: [],
  devices: 0,
  hostApps: null,
  mandatory: false,
  note: null,
  createdAt: '2026-11-25T00:00:00.000Z',
  createdBy: 'admin',
  updatedAt: '2026-11-25T00:00:00.000Z',
  signing: { state: 'signed', reason: null, total: 1, done: 1 },
  autopilot: null,
};
/** This dialog is large: on a busy machine jsdom takes seconds to render it. */
const slow = { timeout: 15_000 };
const noHostApps = { items: [], total: 0, page: 1, pageSize: 50 };

describe('ReleaseDialog', () => {
  it('checks the whitelist, says who gets what before releasing, and sends the rollout it describes', async () => {
    const released = { ...complete, releaseId: 'r2', version: '2.0.0.0', previousVersion: '1.0.0.0', state: 'rolling-out', percent: 10 };
    const calls = fakeFetch([
      { status: 200, body: { items: [complete] } },
      { status: 200, body: { items: [program] } },
      { status: 200, body: noHostApps },
      { status: 200, body: released },
    ]);
    const onReleased = vi.fn();
    renderWithProviders(<ReleaseDialog program={program} version="2.0.0.0" onClose={() => {}} onReleased={onReleased} />);
    // ByRole queries walk the accessibility tree of the whole dialog: far too slow in jsdom here, so text and labels.
    const releaseButtons = () => screen.getAllByText('Release', { selector: 'button span' }).map((s) => s.closest('button')!);
    fireEvent.click(await screen.findByText('Gray release, step by step', {}, slow));
    fireEvent.change(await screen.findByLabelText('Share of devices (%) (number)', {}, slow), { target: { value: '10' } });
    const whitelist = screen.getByLabelText('Device whitelist');
    fireEvent.change(whitelist, { target: { value: 'qa-1 bad/id' } });
    fireEvent.click(releaseButtons()[0]);
    expect(await screen.findByText(/Not a valid device ID: bad\/id/, {}, slow)).toBeTruthy();
    expect(calls.filter((c) => c.init?.method === 'POST')).toHaveLength(0);
    fireEvent.change(whitelist, { target: { value: 'qa-1\nqa-2, qa-1' } });
    expect(await screen.findByText('Whitelist: 2 device IDs', {}, slow)).toBeTruthy();
    fireEvent.click(releaseButtons()[0]);

    const confirm = await waitFor(() => {
      const list = document.querySelector('ul[aria-label="Release 2.0.0.0?"]');
      if (!list) throw new Error('no confirmation yet');
      return list;
    }, slow);
    const lines = [...confirm.querySelectorAll('li')].map((li) => li.textContent);
    expect(lines).toEqual([
      '10 % of the devices of every authorised host app get 2.0.0.0 now.',
      '2 whitelisted devices get it whatever the share, in any authorised host app.',
      'Every other device keeps 1.0.0.0.',
    ]);
    const buttons = releaseButtons();
    fireEvent.click(buttons[buttons.length - 1]);

    await waitFor(() => expect(onReleased).toHaveBeenCalledWith(released), slow);
    const post = calls.find((c) => c.init?.method === 'POST')!;
    expect(post.url).toBe('/api/v1/mini-programs/1234567890123456/packages/2.0.0.0/release');
    expect(JSON.parse(String(post.init!.body))).toEqual({ rollout: { percent: 10, devices: ['qa-1', 'qa-2'] } });
  }, 60_000);

  it('warns in the confirmation when no host app is authorised, as the server states it when the dialog opens', async () => {
    // The list the dialog was opened from still counted a host app; the server now says none.
    fakeFetch([
      { status: 200, body: { items: [complete] } },
      { status: 200, body: { items: [{ ...program, authorizedHostApps: 0 }] } },
      { status: 200, body: noHostApps },
    ]);
    renderWithProviders(<ReleaseDialog program={program} version="2.0.0.0" onClose={() => {}} onReleased={() => {}} />, { lang: 'zh' });
    const releaseButtons = () => screen.getAllByText(/^发 ?布$/, { selector: 'button span' }).map((s) => s.closest('button')!);
    // The dialog says so at once, from the server's answer…
    expect((await screen.findByTestId('no-host-app', {}, slow)).textContent).toBe('此小程序未授权给任何宿主应用：没有设备会获得它。');
    // …and so does the confirmation, where the operator decides.
    fireEvent.click(releaseButtons()[0]);
    const alert = await waitFor(() => {
      const a = document.querySelector('.ant-modal-confirm [role="alert"]');
      if (!a) throw new Error('no confirmation yet');
      return a;
    }, slow);
    expect(alert.textContent).toBe('此小程序未授权给任何宿主应用：没有设备会获得它。');
  }, 60_000);

  it('says nothing of host apps when some are authorised', async () => {
    fakeFetch([
      { status: 200, body: { items: [complete] } },
      { status: 200, body: { items: [program] } },
      { status: 200, body: noHostApps },
    ]);
    renderWithProviders(<ReleaseDialog program={program} version="2.0.0.0" onClose={() => {}} onReleased={() => {}} />);
    await screen.findByText('Every device at once', {}, slow);
    fireEvent.click(screen.getAllByText('Release', { selector: 'button span' })[0].closest('button')!);
    await waitFor(() => {
      if (!document.querySelector('ul[aria-label="Release 2.0.0.0?"]')) throw new Error('no confirmation yet');
    }, slow);
    expect(document.querySelector('.ant-modal-confirm [role="alert"]')).toBeNull();
    expect(screen.queryByTestId('no-host-app')).toBeNull();
  }, 60_000);
});
