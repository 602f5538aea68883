import type { Resource, ResourcePatch } from '@mpop/contracts';
import type { ReleaseState } from '../../db/schema.js';
import { cohort, effectiveBp, FULL, type Ramp, rampOf } from '../releases/rollout.js';
import { type HostRef, reaches, scopeOf } from '../releases/scope.js';
import type { GatePatchRow, GateReleaseRow } from './gate.repository.js';
import { keptBytes } from '../../lib/kept-bytes.js';
import { manifestEntryJson } from './manifest.js';

/** A package the gate may hand out, with its answer prepared once (the hot path only filters and picks). */
export interface Served {
  /**
   * The `Resource` of the answer as UTF-8 JSON, made once per view: every answer, for everything or for the mini
   * programs a request names, is these bytes copied side by side, never serialized or encoded per request.
   */
  bytes: Buffer;
  /** The resource's manifest entry as JSON (manifest.ts), made once per view as well. */
  entry: string;
  /** Unique to this object: answers made of the same ones share their signed manifest and bytes (gate.service.ts). */
  id: number;
  /** The version in `bytes`. */
  version: string;
  /**
   * The same resource with a `patch`, by the version a device names that a kept patch starts from: also made once
   * per view, so offering a patch costs the hot path one map lookup.
   */
  patched?: ReadonlyMap<string, Buffer>;
  platform: string | null;
  clientVersionMin: string | null;
  clientVersionMax: string | null;
}

/** What a host app's devices get of one mini program. */
export interface ProgramEntry {
  /** The version of this host app's current release (the newest that reaches it), when both its signatures exist. */
  next?: Served;
  /** What devices outside its rollout get: the newest complete, signed release for this host app before it. */
  fallback?: Served;
  /**
   * The complete, signed releases for this host app before the fallback, newest first (one per version): for a
   * device outside the platform or client version range of the version it would get.
   */
  older?: readonly Served[];
  /** Absent when every device of this host app gets `next`. */
  rollout?: Rollout;
  /** The mini program's newest release when it does not reach this host app: its whitelisted devices get it here too. */
  elsewhere?: Elsewhere;
}

export interface Rollout {
  releaseId: string;
  ramp: Ramp;
  /** Whitelisted devices, loaded when the release has any. */
  whitelist?: ReadonlySet<string>;
  /** How many devices the release whitelists (the set is loaded apart, shared by every host app's view). */
  devices: number;
}

export interface Elsewhere {
  releaseId: string;
  served: Served;
  whitelist?: ReadonlySet<string>;
  devices: number;
}

/**
 * Which version a device gets: whitelisted in the mini program's newest release → that one (whatever its scope);
 * otherwise this host app's current release: whitelisted → the new one; the new one when the rollout is at 100 % or
 * the device's cohort is below percent × 100, else the fallback. Without a device ID, the fallback until 100 %. Until
 * the new version is signed for this host app, everyone keeps the fallback. A version whose platform or client range
 * leaves the device out (`fits`) gives way to the newest earlier one that fits: a release never takes a working
 * version away.
 */
export function choose(
  entry: ProgramEntry,
  deviceId: string | undefined,
  now: number,
  fits: (s: Served) => boolean = () => true,
): Served | undefined {
  const { elsewhere } = entry;
  if (elsewhere && deviceId !== undefined && elsewhere.whitelist?.has(deviceId) && fits(elsewhere.served)) return elsewhere.served;
  const first = pick(entry, deviceId, now);
  if (!first || fits(first)) return first;
  const earlier = first === entry.fallback ? (entry.older ?? []) : [entry.fallback, ...(entry.older ?? [])];
  return earlier.find((s): s is Served => s !== undefined && fits(s));
}

function pick(entry: ProgramEntry, deviceId: string | undefined, now: number): Served | undefined {
  const { next, fallback, rollout } = entry;
  if (!next) return fallback;
  if (!rollout) return next;
  if (deviceId !== undefined && rollout.whitelist?.has(deviceId)) return next;
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
  /** Base of a patch's `url` (MPOP_PATCH_BASE_URL). */
  patchBaseUrl?: string;
}

/** Kept patches by `<miniProgramId>\n<toVersion>`: what each served version may carry. */
export type PatchesTo = ReadonlyMap<string, readonly GatePatchRow[]>;

export function patchesTo(rows: readonly GatePatchRow[]): PatchesTo {
  const out = new Map<string, GatePatchRow[]>();
  for (const r of rows) {
    const k = `${r.miniProgramId}\n${r.toVersion}`;
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/** How many earlier versions an entry keeps for devices outside a version's range (the newest ones). */
const MAX_OLDER = 16;

/** What the line of a host app needs of a release row (GateRepository.releases and SignatureRepository read these). */
export interface LineRow {
  releaseId: string;
  currentReleaseId: string | null;
  version: string;
  state: ReleaseState;
  hostApps: string | null;
  deviceCount: number;
  platform: string | null;
  clientVersionMin: string | null;
  clientVersionMax: string | null;
}

export interface Line<R extends LineRow> {
  /** The mini program's newest release (its current one). */
  newest: R;
  /** The newest release that reaches the host app: what its devices get. */
  current?: R;
  /** The releases before it that reach the host app, newest first, since the latest take-down. */
  before: R[];
}

/**
 * The line of one host app in one mini program's history (newest first, superseded and rolled-back releases left
 * out): the releases since the latest take-down that reach it. Undefined when the mini program is taken down.
 */
export function lineOf<R extends LineRow>(history: readonly R[], host: HostRef): Line<R> | undefined {
  const newest = history[0];
  if (!newest || newest.releaseId !== newest.currentReleaseId || newest.state === 'taken-down') return undefined;
  const line: R[] = [];
  for (const r of history) {
    if (r.state === 'taken-down') break;
    if (reaches(scopeOf(r), host)) line.push(r);
  }
  const [current, ...before] = line;
  return { newest, current, before };
}

/**
 * What devices fall back to: the complete releases of a line (those `usable`), newest first, one per version, up
 * to the first that fits every device (no platform, no client range), at most MAX_OLDER.
 */
function fallbacks<R extends LineRow>(before: readonly R[], usable: (r: R) => boolean): R[] {
  const out: R[] = [];
  const seen = new Set<string>();
  for (const r of before) {
    if (r.state !== 'complete' || !usable(r) || seen.has(r.version)) continue;
    seen.add(r.version);
    out.push(r);
    if ((!r.platform && !r.clientVersionMin && !r.clientVersionMax) || out.length >= MAX_OLDER) break;
  }
  return out;
}

/** Whether the newest release lends its whitelist to a host app it does not reach. */
const lendsWhitelist = <R extends LineRow>(line: Line<R>) => line.newest !== line.current && Number(line.newest.deviceCount) > 0;

/**
 * Every version the gate may hand a host app of a mini program (the signer makes their signatures): its current
 * release's, the whitelist's of the newest release, and what its devices fall back to.
 */
export function servableVersions(history: readonly LineRow[], host: HostRef): string[] {
  const line = lineOf(history, host);
  if (!line) return [];
  const versions = new Set<string>();
  if (line.current) versions.add(line.current.version);
  if (lendsWhitelist(line)) versions.add(line.newest.version);
  for (const r of fallbacks(line.before, () => true)) versions.add(r.version);
  return [...versions];
}

/**
 * Builds the entries of one host app from its release rows (newest first, per GateRepository.releases). Per mini
 * program: the releases since the latest take-down that reach this host app are its line; the newest is its current
 * release, and the complete, signed ones before it are what its devices fall back to. The mini program's newest
 * release, when it does not reach this host app, only lends its whitelist.
 */
export function buildEntries(
  rows: readonly GateReleaseRow[],
  host: HostAppIdentity,
  patches: PatchesTo = new Map(),
): Map<string, ProgramEntry> {
  const served = (r: GateReleaseRow, h: HostAppIdentity) => servedOf(r, h, patches);
  const byProgram = new Map<string, GateReleaseRow[]>();
  for (const r of rows) {
    const list = byProgram.get(r.miniProgramId);
    if (list) list.push(r);
    else byProgram.set(r.miniProgramId, [r]);
  }
  const entries = new Map<string, ProgramEntry>();
  for (const [miniProgramId, history] of byProgram) {
    const line = lineOf(history, host);
    if (!line) continue;
    const { current, newest } = line;
    const earlier = fallbacks(line.before, signed).map((r) => served(r, host));
    const entry: ProgramEntry = {
      next: current && signed(current) ? served(current, host) : undefined,
      fallback: earlier[0],
      ...(earlier.length > 1 ? { older: earlier.slice(1) } : {}),
    };
    if (current && current.state !== 'complete') {
      entry.rollout = { releaseId: current.releaseId, ramp: rampOf(current), devices: Number(current.deviceCount) };
    }
    if (lendsWhitelist(line) && signed(newest)) {
      entry.elsewhere = { releaseId: newest.releaseId, served: served(newest, host), devices: Number(newest.deviceCount) };
    }
    if (entry.next || entry.fallback || entry.elsewhere) entries.set(miniProgramId, entry);
  }
  return entries;
}

const signed = (r: GateReleaseRow) => r.signature !== null && r.bindingSignature !== null;

let nextServedId = 0;

function servedOf(r: GateReleaseRow, host: HostAppIdentity, patches: PatchesTo): Served {
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
    // The organisation's own signature, checked at upload: passed through as it was made (the server cannot make one).
    ...(r.releaseSignature && r.releaseKeyFingerprint
      ? { releaseSignature: r.releaseSignature, releaseKeyFingerprint: r.releaseKeyFingerprint }
      : {}),
  };
  let patched: Map<string, Buffer> | undefined;
  for (const p of patches.get(`${r.miniProgramId}\n${r.version}`) ?? []) {
    // A patch is made to bytes: one to another upload of this version is of no use.
    if (p.toSha256 !== r.sha256 || p.sha256 === null || p.size === null) continue;
    const patch: ResourcePatch = {
      fromVersion: p.fromVersion,
      fromSha256: p.fromSha256,
      format: p.format,
      url: `${host.patchBaseUrl ?? host.packageBaseUrl}/${p.sha256}.delta`,
      sha256: p.sha256,
      size: Number(p.size),
    };
    patched ??= new Map();
    patched.set(p.fromVersion, keptBytes(JSON.stringify({ ...resource, patch })));
  }
  return {
    bytes: keptBytes(JSON.stringify(resource)),
    entry: manifestEntryJson(resource),
    id: nextServedId++,
    version: r.version,
    ...(patched ? { patched } : {}),
    platform: r.platform,
    clientVersionMin: r.clientVersionMin,
    clientVersionMax: r.clientVersionMax,
  };
}
