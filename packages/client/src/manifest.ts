import { MpopError } from './errors.js';
import type { StateStore } from './store.js';
import type { MpopConfig, Resource } from './types.js';
import { type KeyRing, verifySignature } from './verify.js';

/** One resource as the signed manifest names it: the answer's resource must equal it, field by field. */
export interface ManifestEntry {
  miniProgramId: string;
  version: string;
  sha256: string;
  size: number;
  mandatory: boolean;
  packageUrl: string;
  mainUrl: string;
  vhost: string;
}

/** The signed content of a gate answer (`manifest`, JSON text). */
export interface Manifest {
  type: 'mpop-manifest-v1';
  appId: string;
  workspaceId: string;
  /** Never goes down for a host app: an answer below the highest accepted is an old one replayed. */
  generation: number;
  issuedAt: string;
  expiresAt: string;
  resources: ManifestEntry[];
  /** Fingerprints of the host app's keys an operator retired: their signatures are refused from now on. */
  revokedKeys: string[];
}

/** The gate's answer as it travels: the resources and the manifest that vouches for them. */
export interface GateAnswer {
  resources: Resource[];
  manifest?: string;
  manifestSignature?: string;
  keyFingerprint?: string;
}

/** How late a manifest may still be taken: the device's clock may be this far ahead of the server's. */
export const MANIFEST_CLOCK_SKEW_MS = 5 * 60_000;

const FIELDS = ['miniProgramId', 'version', 'sha256', 'size', 'mandatory', 'packageUrl', 'mainUrl', 'vhost'] as const;

/** What a client holds across calls, read from and written to its store. */
export class TrustState {
  private loaded?: Promise<void>;
  generation = 0;
  readonly revoked = new Set<string>();
  /** Mini program IDs the accepted manifests name (to tell which ones a newer manifest dropped). */
  readonly programs = new Set<string>();

  constructor(
    private readonly store: StateStore,
    private readonly prefix: string,
  ) {}

  load(): Promise<void> {
    this.loaded ??= (async () => {
      const [g, r, p] = await Promise.all(['generation', 'revokedKeys', 'programs'].map((k) => this.store.get(this.prefix + k)));
      this.generation = Number(g ?? 0) || 0;
      for (const f of parseList(r)) this.revoked.add(f.toLowerCase());
      for (const id of parseList(p)) this.programs.add(id);
    })();
    return this.loaded;
  }

  async save(): Promise<void> {
    await this.store.set(`${this.prefix}generation`, String(this.generation));
    await this.store.set(`${this.prefix}revokedKeys`, JSON.stringify([...this.revoked]));
    await this.store.set(`${this.prefix}programs`, JSON.stringify([...this.programs]));
  }
}

function parseList(text: string | null | undefined): string[] {
  if (!text) return [];
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const mismatch = (why: string) => new MpopError('MANIFEST_MISMATCH', `The gate's answer does not match its signed manifest: ${why}.`);

/**
 * Checks a gate answer against its manifest, in this order: signed by a key of the config file that no accepted
 * manifest retired (MANIFEST_SIGNATURE); this host app (MANIFEST_MISMATCH); a generation not below the highest
 * accepted (MANIFEST_ROLLBACK); not expired (MANIFEST_EXPIRED); every resource equal to its entry, none added or
 * dropped, the config's virtual domain, https package URLs and a path for `mainUrl` (MANIFEST_MISMATCH).
 * @returns the manifest; the caller records it as accepted.
 */
export async function checkAnswer(
  answer: GateAnswer,
  ctx: { config: MpopConfig; keys: KeyRing; state: TrustState; now: number; allowHttp: boolean },
): Promise<Manifest> {
  const { config, keys, state } = ctx;
  const fingerprint = answer.keyFingerprint?.toLowerCase();
  if (typeof answer.manifest !== 'string' || typeof answer.manifestSignature !== 'string' || !fingerprint) {
    throw new MpopError('MANIFEST_SIGNATURE', "The gate's answer carries no signed manifest; it is not taken.");
  }
  if (state.revoked.has(fingerprint)) {
    throw new MpopError('MANIFEST_SIGNATURE', `The gate's answer is signed with key ${fingerprint}, which was retired; it is not taken.`);
  }
  const key = await keys.get(fingerprint).catch((err: unknown) => {
    if (!(err instanceof MpopError) || err.code !== 'PACKAGE_SIGNATURE') throw err; // INVALID_CONFIG: the build's own fault
    throw new MpopError(
      'MANIFEST_SIGNATURE',
      `The gate's answer is signed with key ${fingerprint}, which the config file does not list; download the config file again after a key rotation.`,
    );
  });
  if (!(await verifySignature(key, answer.manifestSignature, new TextEncoder().encode(answer.manifest)))) {
    throw new MpopError('MANIFEST_SIGNATURE', "The signature of the gate's manifest does not verify; the answer is not taken.");
  }
  let m: Manifest;
  try {
    m = JSON.parse(answer.manifest) as Manifest;
  } catch {
    throw mismatch('the manifest is not JSON');
  }
  if (m?.type !== 'mpop-manifest-v1') throw mismatch(`its type is ${JSON.stringify(m?.type)}, not mpop-manifest-v1`);
  if (m.appId !== config.appId || m.workspaceId !== config.workspaceId) {
    throw mismatch(`it is for host app ${m.appId} of workspace ${m.workspaceId}, not ${config.appId} of ${config.workspaceId}`);
  }
  if (!Number.isSafeInteger(m.generation) || !Array.isArray(m.resources) || !Array.isArray(m.revokedKeys)) {
    throw mismatch('the manifest lacks its generation, resources or revoked keys');
  }
  if (m.revokedKeys.some((k) => typeof k === 'string' && k.toLowerCase() === fingerprint)) {
    throw new MpopError(
      'MANIFEST_SIGNATURE',
      `The manifest is signed with key ${fingerprint}, which it names as retired; it is not taken.`,
    );
  }
  if (m.generation < state.generation) {
    throw new MpopError(
      'MANIFEST_ROLLBACK',
      `The gate's manifest has generation ${m.generation}, below ${state.generation} accepted before: an older answer replayed; it is not taken.`,
    );
  }
  const expires = Date.parse(m.expiresAt);
  if (!(expires + MANIFEST_CLOCK_SKEW_MS > ctx.now)) {
    throw new MpopError(
      'MANIFEST_EXPIRED',
      `The gate's manifest expired at ${m.expiresAt}: an old answer, or this device's clock is wrong; it is not taken.`,
    );
  }
  const resources = Array.isArray(answer.resources) ? answer.resources : [];
  if (resources.length !== m.resources.length) {
    throw mismatch(`the answer has ${resources.length} resources, the manifest names ${m.resources.length}`);
  }
  for (const [i, r] of resources.entries()) {
    const e = m.resources[i];
    for (const f of FIELDS) {
      if (r?.[f] !== e?.[f]) throw mismatch(`${f} of ${e?.miniProgramId ?? r?.miniProgramId} differs`);
    }
    if (r.keyFingerprint?.toLowerCase() !== fingerprint) throw mismatch(`${r.miniProgramId} names another key than the manifest's`);
    checkEntry(e, config, ctx.allowHttp);
  }
  return m;
}

/** Where an entry may send the app: the config's virtual domain, a package over https, a page path under the vhost. */
function checkEntry(e: ManifestEntry, config: MpopConfig, allowHttp: boolean) {
  if (e.vhost !== config.virtualDomain) throw mismatch(`the vhost of ${e.miniProgramId} is ${e.vhost}, not ${config.virtualDomain}`);
  let url: URL | undefined;
  try {
    url = new URL(e.packageUrl);
  } catch {
    url = undefined;
  }
  if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:'))) {
    throw mismatch(`the package URL of ${e.miniProgramId} is not https (${e.packageUrl})`);
  }
  if (typeof e.mainUrl !== 'string' || !e.mainUrl.startsWith('/') || e.mainUrl.startsWith('//') || e.mainUrl.includes('\\')) {
    throw mismatch(`the main URL of ${e.miniProgramId} is not a path under its vhost (${e.mainUrl})`);
  }
}
