import type { Resource } from '@mpop/contracts';
import { cohort, effectiveBp, FULL, type Ramp, rampOf } from '../releases/rollout.js';
import type { GateReleaseRow } from './gate.repository.js';

/** A package the gate may hand out, with its answer prepared once (the hot path only filters and picks). */
export interface Served {
  /** The `Resource` of the answer as JSON, made once: the gate's answer is these joined, never serialized per request. */
  json: string;
  platform: string | null;
  clientVersionMin: string | null;
  clientVersionMax: string | null;
}

/** What a host app's devices get of one mini program. */
export interface ProgramEntry {
  /** The current release's version, when both its signatures under this host app's key exist. */
  next?: Served;
  /** What devices outside the rollout get: the newest complete, signed release in scope before it. */
  fallback?: Served;
  /** Absent when every device of this host app gets `next`. */
  rollout?: Rollout;
}

export interface Rollout {
  releaseId: string;
  ramp: Ramp;
  /** Whether this host app is in the release's host-app scope. */
  inScope: boolean;
  /** Whitelisted devices, loaded when the release has any. */
  whitelist?: ReadonlySet<string>;
  /** How many devices the release whitelists (the set is loaded apart, shared by every host app's view). */
  devices: number;
}

/**
 * Which version a device gets: whitelisted → the new one; host app out of scope → the fallback; otherwise the new
 * one when the rollout is at 100 % or the device's cohort is below percent × 100. Without a device ID, the fallback
 * until 100 %. Until the new version is signed for this host app, everyone keeps the fallback.
 */
export function choose(entry: ProgramEntry, deviceId: string | undefined, now: number): Served | undefined {
  const { next, fallback, rollout } = entry;
  if (!next) return fallback;
  if (!rollout) return next;
  if (deviceId !== undefined && rollout.whitelist?.has(deviceId)) return next;
  if (!rollout.inScope) return fallback;
  const bp = effectiveBp(rollout.ramp, now);
  if (bp >= FULL) return next;
  if (deviceId === undefined) return fallback;
  return cohort(rollout.releaseId, deviceId) < bp ? next : fallback;
}

export interface HostAppIdentity {
  workspaceId: string;
  appId: string;
  vhost: string;
  keyFingerprint: string;
  /** Base of `packageUrl` (MPOP_PACKAGE_BASE_URL). */
  packageBaseUrl: string;
}

/**
 * Builds the entries of one host app from its release rows (newest first, per GateRepository.releases): per mini
 * program the current release and the fallback found by walking back through the history, stopping at a take-down.
 */
export function buildEntries(rows: readonly GateReleaseRow[], host: HostAppIdentity): Map<string, ProgramEntry> {
  const byProgram = new Map<string, GateReleaseRow[]>();
  for (const r of rows) {
    const list = byProgram.get(r.miniProgramId);
    if (list) list.push(r);
    else byProgram.set(r.miniProgramId, [r]);
  }
  const entries = new Map<string, ProgramEntry>();
  for (const [miniProgramId, history] of byProgram) {
    const current = history.find((r) => r.releaseId === r.currentReleaseId);
    if (!current || current.state === 'taken-down') continue;
    const signed = (r: GateReleaseRow) => r.signature !== null && r.bindingSignature !== null;
    let fallbackRow: GateReleaseRow | undefined;
    for (const r of history) {
      if (r.id >= current.id) continue;
      if (r.state === 'taken-down') break;
      if (r.state === 'complete' && signed(r) && inScope(r.hostApps, host)) {
        fallbackRow = r;
        break;
      }
    }
    const entry: ProgramEntry = {
      next: signed(current) ? served(current, host) : undefined,
      fallback: fallbackRow && served(fallbackRow, host),
    };
    const scoped = inScope(current.hostApps, host);
    if (current.state !== 'complete' || !scoped) {
      entry.rollout = {
        releaseId: current.releaseId,
        ramp: rampOf(current),
        inScope: scoped,
        devices: Number(current.deviceCount),
      };
    }
    if (entry.next || entry.fallback) entries.set(miniProgramId, entry);
  }
  return entries;
}

function inScope(hostAppsJson: string | null, host: { workspaceId: string; appId: string }): boolean {
  if (hostAppsJson === null) return true;
  return (JSON.parse(hostAppsJson) as { workspaceId: string; appId: string }[]).some(
    (h) => h.workspaceId === host.workspaceId && h.appId === host.appId,
  );
}

function served(r: GateReleaseRow, host: HostAppIdentity): Served {
  const resource: Resource = {
    miniProgramId: r.miniProgramId,
    version: r.version,
    packageUrl: `${host.packageBaseUrl}/${r.sha256}.zip`,
    sha256: r.sha256,
    size: Number(r.size),
    signature: r.signature!,
    bindingSignature: r.bindingSignature!,
    keyFingerprint: host.keyFingerprint,
    vhost: host.vhost,
    mainUrl: r.mainUrl,
    mandatory: Boolean(r.mandatory),
  };
  return {
    json: JSON.stringify(resource),
    platform: r.platform,
    clientVersionMin: r.clientVersionMin,
    clientVersionMax: r.clientVersionMax,
  };
}
