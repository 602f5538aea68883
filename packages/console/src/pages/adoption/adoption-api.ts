import type { Adoption } from '@mpop/contracts';
import { request } from '../../api/client';

export interface AdoptionFilter {
  workspaceId?: string;
  appId?: string;
  days?: number;
}

/** GET /api/v1/mini-programs/{id}/adoption: devices per version and event counts, for one host app or all. */
export function fetchAdoption(miniProgramId: string, filter: AdoptionFilter = {}): Promise<Adoption> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') params.set(k, String(v));
  return request<Adoption>('GET', `/api/v1/mini-programs/${encodeURIComponent(miniProgramId)}/adoption?${params}`);
}

/** Failed package loads among all that ended: every download ends either verified or failed. */
export const failureRate = (e: Adoption['events']) => (e.verified + e.failure > 0 ? e.failure / (e.verified + e.failure) : 0);

export const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;
