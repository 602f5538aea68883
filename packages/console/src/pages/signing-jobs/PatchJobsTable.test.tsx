import { describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PatchJob } from '@mpop/contracts';
import { PatchJobsSection } from './PatchJobsTable';
import { fakeFetch, renderWithProviders } from '../../test/render';

const job = (over: Partial<PatchJob>): PatchJob => ({
  id: 1,
  miniProgramId: '1234567890123456',
  fromVersion: '1.0.0.1',
  toVersion: '1.0.0.2',
  format: 'mpop-patch-v1',
  status: 'done',
  fullSize: 2_000_000,
  size: 20_000,
  sha256: 'a'.repeat(64),
  noteCode: null,
  note: null,
  attempts: 1,
  createdAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T10:00:01.000Z',
  ...over,
});

describe('PatchJobsSection', () => {
  it('asks nothing until opened, then shows kept patches by size and why others were not kept', async () => {
    const calls = fakeFetch([
      {
        status: 200,
        body: {
          items: [job({}), job({ id: 2, fromVersion: '1.0.0.0', status: 'skipped', size: null, sha256: null, noteCode: 'not-smaller' })],
        },
      },
    ]);
    renderWithProviders(<PatchJobsSection />);
    expect(calls).toHaveLength(0);
    await userEvent.setup({ delay: null }).click(screen.getByText('Patch Jobs'));
    const kept = (await screen.findByText('1.0.0.1 → 1.0.0.2')).closest('tr') as HTMLElement;
    expect(within(kept).getByText('Kept')).toBeTruthy();
    expect(within(kept).getByText(/19\.5 KiB \(1% of the package\)/)).toBeTruthy();
    const skipped = screen.getByText('1.0.0.0 → 1.0.0.2').closest('tr') as HTMLElement;
    expect(within(skipped).getByText('Not kept')).toBeTruthy();
    expect(within(skipped).getByText(/would not be smaller than half the package/)).toBeTruthy();
    expect(calls[0].url).toBe('/api/v1/patch-jobs?');
  });
});
