import type { ReleaseRow, ReleaseState } from '../../db/schema.js';
import { rampOf } from './rollout.js';
import { effectiveState } from './rollout.js';

/**
 * The host-app scope of releases, and what it means for the history: each host app has its own line of releases
 * (those whose scope reaches it), so a release, a rollout or a rollback for one host app never moves another's.
 * Histories here are newest first, as ReleaseRepository.list reads them.
 */

export interface HostRef {
  workspaceId: string;
  appId: string;
}

/** The host apps a release names; null reaches every authorised host app (those authorised later too). */
export type Scope = readonly HostRef[] | null;

export const scopeOf = (r: { hostApps: string | null }): Scope => (r.hostApps === null ? null : (JSON.parse(r.hostApps) as HostRef[]));

const hostKey = (h: HostRef) => `${h.workspaceId}\n${h.appId}`;

/** Whether a release of this scope reaches the host app. */
export function reaches(scope: Scope, host: HostRef): boolean {
  return scope === null || scope.some((h) => h.workspaceId === host.workspaceId && h.appId === host.appId);
}

/** Whether every host app `inner` reaches is reached by one of `outer`. */
function coveredBy(outer: readonly Scope[], inner: Scope): boolean {
  if (outer.some((s) => s === null)) return true;
  if (inner === null) return false;
  const reached = new Set(outer.flatMap((s) => s!.map(hostKey)));
  return inner.every((h) => reached.has(hostKey(h)));
}

const live = (state: ReleaseState) => state === 'rolling-out' || state === 'paused';

/** The rows of a history above its latest take-down (a take-down ends every line: nothing before it is served). */
function sinceTakeDown(history: readonly ReleaseRow[]): ReleaseRow[] {
  const out: ReleaseRow[] = [];
  for (const r of history) {
    if (r.state === 'taken-down') break;
    out.push(r);
  }
  return out;
}

export interface Settled {
  /** Rollouts whose steps reached 100 %: recorded as complete. */
  completed: ReleaseRow[];
  /** Rollouts no host app follows any more once a release of the new scope is made. */
  superseded: ReleaseRow[];
}

/**
 * What a new release of `scope` does to the rollouts still going: one ends (`superseded`) when every host app it
 * reaches is reached by the new release or by a release made after it; a rollout that still reaches another host
 * app keeps going there (a release for host app A leaves B's rollout alone). A rollout whose steps already reached
 * 100 % was complete, and is recorded so.
 */
export function settleRollouts(history: readonly ReleaseRow[], scope: Scope, now: number): Settled {
  const settled: Settled = { completed: [], superseded: [] };
  const newer: Scope[] = [scope];
  for (const r of sinceTakeDown(history)) {
    if (live(r.state)) {
      if (effectiveState(rampOf(r), now) === 'complete') settled.completed.push(r);
      else if (coveredBy(newer, scopeOf(r))) settled.superseded.push(r);
    }
    newer.push(scopeOf(r));
  }
  return settled;
}

/** The rollouts still going anywhere, for a take-down to end them all (those whose steps reached 100 % were complete). */
export function liveRollouts(history: readonly ReleaseRow[], now: number): Settled {
  const settled: Settled = { completed: [], superseded: [] };
  for (const r of sinceTakeDown(history)) {
    if (!live(r.state)) continue;
    if (effectiveState(rampOf(r), now) === 'complete') settled.completed.push(r);
    else settled.superseded.push(r);
  }
  return settled;
}

/**
 * What devices outside a new rollout of `scope` keep getting, as the release shows it: the version of the newest
 * complete release (not across a take-down) that reaches every host app of the scope (for an unscoped release: an
 * unscoped one). A host app with a newer complete release of its own keeps that one.
 */
export function previousVersion(history: readonly ReleaseRow[], scope: Scope, now: number): string | null {
  for (const r of sinceTakeDown(history)) {
    if (effectiveState(rampOf(r), now) === 'complete' && coveredBy([scopeOf(r)], scope)) return r.version;
  }
  return null;
}

/** One release a rollback makes: the version the host apps of `scope` go back to. */
export interface RollbackTarget {
  version: string;
  scope: Scope;
}

/**
 * Where a rollback of the current release (history[0]) takes each host app it reaches: the version of the newest
 * complete release before it that reaches that host app (not across a take-down, another version than the one
 * rolled back). Host apps may go back to different versions, one release each; the first reaches the most (for an
 * unscoped release, every host app no scoped release names), the ones after it name their host apps, so that on
 * the gate each host app's newest release is its own. A host app with no earlier complete version gets none.
 * After a take-down every host app goes back to what it had before it.
 */
export function rollbackTargets(history: readonly ReleaseRow[]): RollbackTarget[] {
  const [current, ...older] = history;
  const scope = current.state === 'taken-down' ? null : scopeOf(current);
  const before = sinceTakeDown(older);
  /** The target of one host app, or (null) of the host apps that no scoped release names. */
  const targetOf = (host: HostRef | null): string | undefined =>
    before.find((r) => {
      const s = scopeOf(r);
      return r.state === 'complete' && r.version !== current.version && (host === null ? s === null : reaches(s, host));
    })?.version;

  const targets: RollbackTarget[] = [];
  let named: HostRef[];
  let common: string | undefined;
  if (scope === null) {
    common = targetOf(null);
    if (common) targets.push({ version: common, scope: null });
    const seen = new Map<string, HostRef>();
    for (const r of before) for (const h of scopeOf(r) ?? []) seen.set(hostKey(h), { workspaceId: h.workspaceId, appId: h.appId });
    named = [...seen.values()];
  } else {
    named = [...scope];
  }
  const byVersion = new Map<string, HostRef[]>();
  for (const h of named) {
    const version = targetOf(h);
    if (version === undefined || version === common) continue;
    const hosts = byVersion.get(version);
    if (hosts) hosts.push(h);
    else byVersion.set(version, [h]);
  }
  for (const [version, hosts] of byVersion) {
    // One version for the whole scope: keep the release's own scope as it was.
    const whole = scope !== null && byVersion.size === 1 && hosts.length === scope.length;
    targets.push({ version, scope: whole ? scope : hosts });
  }
  return targets;
}

/** The scope a rollback to a chosen version applies to: the rolled-back release's, or everyone after a take-down. */
export const rollbackScope = (current: ReleaseRow): Scope => (current.state === 'taken-down' ? null : scopeOf(current));
