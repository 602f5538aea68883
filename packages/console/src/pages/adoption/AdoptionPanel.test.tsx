import { describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import { AdoptionPanel } from './AdoptionPanel';
import { failureRate } from './adoption-api';
import { fakeFetch, renderWithProviders } from '../../test/render';

// The chart library draws on a canvas jsdom lacks; the chart gets the same versions the table shows.
vi.mock('./AdoptionChart', () => ({
  default: ({ versions }: { versions: { version: string }[] }) => <div data-testid="chart">{versions.map((v) => v.version).join(',')}</div>,
}));

const adoption = {
  since: '2026-11-19T00:00:00.000Z',
  versions: [
    { version: '1.0.0.2', devices: 700, share: 0.7 },
    { version: '1.0.0.1', devices: 300, share: 0.3 },
  ],
  events: { download: 1000, verified: 950, launch: 2000, failure: 50 },
  failures: [
    { version: '1.0.0.2', reason: 'white screen', count: 40 },
    { version: '1.0.0.2', reason: null, count: 10 },
  ],
};

describe('AdoptionPanel', () => {
  it('shows the share of devices per version, the event counts and the failure rate for the chosen host app', async () => {
    const calls = fakeFetch([{ status: 200, body: adoption }]);
    renderWithProviders(<AdoptionPanel miniProgramId="2021000000000001" workspaceId="kit" appId="09FEF59478AB4" days={30} />);
    const [table] = await screen.findAllByRole('table');
    expect(within(table).getByText('70%')).toBeTruthy();
    expect(within(table).getByText('300')).toBeTruthy();
    expect(await screen.findByTestId('chart')).toHaveProperty('textContent', '1.0.0.2,1.0.0.1');
    expect(screen.getByText('5%')).toBeTruthy(); // 50 failures of 1,000 loads that ended
    expect(calls[0].url).toBe('/api/v1/mini-programs/2021000000000001/adoption?workspaceId=kit&appId=09FEF59478AB4&days=30');
  });

  it('shows the failures by version and reason, most first, and says when a device gave none', async () => {
    fakeFetch([{ status: 200, body: adoption }]);
    renderWithProviders(<AdoptionPanel miniProgramId="2021000000000001" />);
    const failures = await screen.findByTestId('failures-by-reason');
    const rows = within(failures).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['1.0.0.2white screen40', '1.0.0.2(none given)10']);
  });

  it('says so when no device reported in the window', async () => {
    fakeFetch([{ status: 200, body: { ...adoption, versions: [], events: { download: 0, verified: 0, launch: 0, failure: 0 } } }]);
    renderWithProviders(<AdoptionPanel miniProgramId="2021000000000001" />);
    expect(await screen.findByText('No device has reported this mini program in the last 7 days.')).toBeTruthy();
  });

  it('computes the failure rate over the loads that ended (verified or failed)', () => {
    expect(failureRate({ download: 10, verified: 3, launch: 9, failure: 1 })).toBe(0.25);
    expect(failureRate({ download: 0, verified: 0, launch: 0, failure: 0 })).toBe(0);
  });

  it('orders versions newest first in the chart and the table alike, with shares that add up to 100 %', async () => {
    const thirds = {
      ...adoption,
      versions: [
        { version: '1.0.0.9', devices: 1, share: 1 / 3 },
        { version: '1.0.0.10', devices: 1, share: 1 / 3 },
        { version: '1.0.0.2', devices: 1, share: 1 / 3 },
      ],
    };
    fakeFetch([{ status: 200, body: thirds }]);
    renderWithProviders(<AdoptionPanel miniProgramId="2021000000000001" />);
    const [table] = await screen.findAllByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['1.0.0.10', '1.0.0.9', '1.0.0.2']);
    expect(rows.map((r) => within(r).getAllByRole('cell')[2].textContent)).toEqual(['33.4%', '33.3%', '33.3%']);
    expect(await screen.findByTestId('chart')).toHaveProperty('textContent', '1.0.0.10,1.0.0.9,1.0.0.2');
  });
});
