import type { Adoption } from '@mpop/contracts';
import { request } from '../../api/client';

export interface AdoptionFilter {
  workspaceId?: string;
  appId?: string;
  days?: number;
}

/** GET /api/v1/mini-programs/{id}/adoption: devices per version and event counts, for one host app or all. */
export function fetchAdoption(miniProgramId: string, filter: AdoptionFilter = {}, signal?: AbortSignal): Promise<Adoption> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') params.set(k, String(v));
  return request<Adoption>('GET', `/api/v1/mini-programs/${encodeURIComponent(miniProgramId)}/adoption?${params}`, undefined, { signal });
}

/** Failed package loads among all that ended: every download ends either verified or failed. */
export const failureRate = (e: Adoption['events']) => (e.verified + e.failure > 0 ? e.failure / (e.verified + e.failure) : 0);

export const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

type VersionShare = Adoption['versions'][number];

/** Versions newest first (compared as numbers: 1.0.0.10 is newer than 1.0.0.9): the one order of chart and table. */
export function newestFirst(versions: readonly VersionShare[]): VersionShare[] {
  const parts = (v: string) => v.split('.').map(Number);
  return [...versions].sort((a, b) => {
    const [x, y] = [parts(a.version), parts(b.version)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return 0;
  });
}

/**
 * Shares as percentages with one decimal that add up to exactly 100 % (largest remainder: each is rounded down to
 * 0.1 %, and the tenths left over go to the largest remainders), so three thirds read 33.4 %, 33.3 %, 33.3 %.
 */
export function roundedShares(versions: readonly VersionShare[]): string[] {
  const devices = versions.reduce((n, v) => n + v.devices, 0);
  if (devices === 0) return versions.map((v) => percent(v.share));
  const exact = versions.map((v) => (v.devices / devices) * 1000);
  const tenths = exact.map(Math.floor);
  let left = 1000 - tenths.reduce((n, t) => n + t, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    tenths[i] += 1;
    left -= 1;
  }
  return tenths.map((t) => `${t / 10}%`);
}
