import type { PatchReleaseBody, Release, ReleaseBody, ReleaseList, RollbackBody } from '@mpop/contracts';
import { request } from '../../api/client';

const base = (id: string) => `/api/v1/mini-programs/${encodeURIComponent(id)}`;

/** The controlled-release endpoints: one typed function each. */
export const releaseApi = {
  release: (id: string, version: string, body: ReleaseBody) =>
    request<Release>('POST', `${base(id)}/packages/${encodeURIComponent(version)}/release`, body),
  list: (id: string) => request<ReleaseList>('GET', `${base(id)}/releases`),
  update: (id: string, releaseId: string, body: PatchReleaseBody) =>
    request<Release>('PATCH', `${base(id)}/releases/${encodeURIComponent(releaseId)}`, body),
  rollback: (id: string, body: RollbackBody = {}) => request<Release>('POST', `${base(id)}/rollback`, body),
  takeDown: (id: string) => request<Release>('POST', `${base(id)}/take-down`),
};

/** What a rollback without a version goes to: the newest complete release before the current one, of another version. */
export function rollbackTarget(history: readonly Release[]): string | undefined {
  const [current, ...older] = history;
  if (!current) return undefined;
  for (const r of older) {
    if (r.state === 'taken-down') return undefined;
    if (r.state === 'complete' && r.version !== current.version) return r.version;
  }
  return undefined;
}

/** Splits pasted or uploaded text into unique device IDs (lines, commas, semicolons or spaces). */
export function parseDeviceIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}
