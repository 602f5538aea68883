import type { PatchJobList } from '@mpop/contracts';
import { request } from '../../api/client';

/** GET /api/v1/patch-jobs: the patch jobs releases queued, newest first (all, or one mini program's). */
export function fetchPatchJobs(miniProgramId?: string): Promise<PatchJobList> {
  const params = new URLSearchParams();
  if (miniProgramId) params.set('miniProgramId', miniProgramId);
  return request<PatchJobList>('GET', `/api/v1/patch-jobs?${params}`);
}
