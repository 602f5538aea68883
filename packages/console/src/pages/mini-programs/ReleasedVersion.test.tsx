import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import type { Release } from '@mpop/contracts';
import { renderWithProviders } from '../../test/render';
import { ReleasedVersion } from './ReleasedVersion';
import { ReleaseStateTag, SigningAlert } from './ReleaseStatus';

const tag = () => screen.getByTestId('released-version');

describe('ReleasedVersion: what the devices of a mini program get, as the server states it', () => {
  it('shows a rollout with its share and what the rest keep, never as a plain release', () => {
    renderWithProviders(
      <ReleasedVersion
        program={{
          releasedVersion: '1.0.0.2',
          rollout: { version: '1.0.0.2', percent: 25, state: 'rolling-out', previousVersion: '1.0.0.1' },
          authorizedHostApps: 1,
        }}
      />,
    );
    expect(tag().textContent).toBe('1.0.0.2 (25 %) · 1.0.0.1 for the rest');
    expect(tag().className).not.toMatch(/green/);
  });

  it('says so in Chinese, and when the rest get nothing', () => {
    renderWithProviders(
      <ReleasedVersion
        program={{
          releasedVersion: '1.0.0.2',
          rollout: { version: '1.0.0.2', percent: 10, state: 'paused', previousVersion: null },
          authorizedHostApps: 1,
        }}
      />,
      { lang: 'zh' },
    );
    expect(tag().textContent).toBe('1.0.0.2（10%） · 其余设备无版本');
  });

  it('is green for a full release that reaches host apps, grey with "no host app" when none is authorised', () => {
    const { unmount } = renderWithProviders(
      <ReleasedVersion program={{ releasedVersion: '1.0.0.1', rollout: null, authorizedHostApps: 2 }} />,
    );
    expect(tag().textContent).toBe('1.0.0.1');
    expect(tag().className).toMatch(/green/);
    unmount();
    renderWithProviders(<ReleasedVersion program={{ releasedVersion: '1.0.0.1', rollout: null, authorizedHostApps: 0 }} />);
    expect(tag().textContent).toBe('1.0.0.1 · no host app');
    expect(tag().className).not.toMatch(/green|success/);
  });
});

const release = (signing: Release['signing'], state: Release['state'] = 'complete', percent = 100): Release => ({
  releaseId: 'r1',
  miniProgramId: '1234567890123456',
  version: '1.0.0.1',
  previousVersion: null,
  state,
  percent,
  steps: [],
  devices: 0,
  hostApps: null,
  mandatory: false,
  note: null,
  createdAt: '2026-11-25T00:00:00.000Z',
  createdBy: 'admin',
  updatedAt: '2026-11-25T00:00:00.000Z',
  signing,
  autopilot: null,
});

describe('a release signed for 0 of 0 host apps', () => {
  it('is grey with "no host app", and the signing alert says no device gets it', () => {
    const none = release({ state: 'signed', reason: null, total: 0, done: 0 });
    renderWithProviders(
      <>
        <ReleaseStateTag release={none} />
        <SigningAlert release={none} />
      </>,
    );
    const stateTag = screen.getByText(/Complete/);
    expect(stateTag.textContent).toBe('Complete · no host app');
    expect(stateTag.className).not.toMatch(/success|green/);
    expect(screen.getByTestId('signing-none').textContent).toMatch(/no device gets this version/);
  });

  it('shows a rollout state with its share', () => {
    renderWithProviders(<ReleaseStateTag release={release({ state: 'signed', reason: null, total: 1, done: 1 }, 'rolling-out', 25)} />);
    expect(screen.getByText(/Rolling out/).textContent).toBe('Rolling out (25 %)');
  });
});
