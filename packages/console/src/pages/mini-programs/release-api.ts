import type { PatchReleaseBody, Release, ReleaseBody, ReleaseList, RollbackBody } from '@mpop/contracts';
import { request } from '../../api/client';

const base = (id: string) => `/api/v1/mini-programs/${encodeURIComponent(id)}`;

/** The controlled-release endpoints: one typed function each. */
export const releaseApi = {
  release: (id: string, version: string, body: ReleaseBody) =>
    request<Release>('POST', `${base(id)}/packages/${encodeURIComponent(version)}/release`, body),
  list: (id: string, signal?: AbortSignal) => request<ReleaseList>('GET', `${base(id)}/releases`, undefined, { signal }),
  update: (id: string, releaseId: string, body: PatchReleaseBody) =>
    request<Release>('PATCH', `${base(id)}/releases/${encodeURIComponent(releaseId)}`, body),
  rollback: (id: string, body: RollbackBody = {}) => request<Release>('POST', `${base(id)}/rollback`, body),
  takeDown: (id: string) => request<Release>('POST', `${base(id)}/take-down`),
};

type HostRef = { workspaceId: string; appId: string };
type Scope = readonly HostRef[] | null;

const hostKey = (h: HostRef) => `${h.workspaceId}/${h.appId}`;
const reaches = (scope: Scope, h: HostRef) => scope === null || scope.some((s) => hostKey(s) === hostKey(h));
/** Whether every host app `inner` reaches, `outer` reaches too (null: every host app). */
const covers = (outer: Scope, inner: Scope) => outer === null || inner?.every((h) => reaches(outer, h)) === true;
/** The releases since the latest take-down (nothing before it is served). */
function sinceTakeDown(history: readonly Release[]): Release[] {
  const out: Release[] = [];
  for (const r of history) {
    if (r.state === 'taken-down') break;
    out.push(r);
  }
  return out;
}

/**
 * What devices outside a new rollout of `scope` would keep, as the server shows it in `previousVersion`: the newest
 * complete release that reaches every host app of the scope (none after a take-down).
 */
export function servedVersion(history: readonly Release[], scope: Scope = null): string | null {
  return sinceTakeDown(history).find((r) => r.state === 'complete' && covers(r.hostApps, scope))?.version ?? null;
}

/** The rollouts still going that a new release of `scope` ends: those whose host apps it all reaches. */
export function supersededBy(history: readonly Release[], scope: Scope): Release[] {
  return sinceTakeDown(history).filter((r) => (r.state === 'rolling-out' || r.state === 'paused') && covers(scope, r.hostApps));
}

/**
 * What a rollback without a version goes to, as the server decides it: each host app of the current release goes
 * back to its own newest complete release before it, of another version. @returns those versions, or undefined.
 */
export function rollbackTarget(history: readonly Release[]): string | undefined {
  const [current, ...older] = history;
  if (!current) return undefined;
  const scope = current.state === 'taken-down' ? null : current.hostApps;
  const before = sinceTakeDown(older);
  const targetOf = (h: HostRef | null) =>
    before.find(
      (r) => r.state === 'complete' && r.version !== current.version && (h === null ? r.hostApps === null : reaches(r.hostApps, h)),
    )?.version;
  const hosts: (HostRef | null)[] = scope ?? [null, ...before.flatMap((r) => r.hostApps ?? [])];
  const versions = [...new Set(hosts.map(targetOf).filter((v): v is string => v !== undefined))];
  return versions.length ? versions.join(', ') : undefined;
}

/** Splits pasted or uploaded text into unique device IDs (lines, commas, semicolons or spaces). */
export function parseDeviceIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}
