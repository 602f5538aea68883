import type { Kysely } from 'kysely';
import type { Resource, ResourcesRequest } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { inRange } from '../mini-programs/versions.js';
import { GateRepository } from './gate.repository.js';
import type { ManifestCache, ManifestKey, SignedManifest } from './manifest-cache.js';
import { type ManifestContent, manifestContent, manifestHead } from './manifest.js';
import { buildEntries, choose, type ProgramEntry, type Served } from './served.js';

/** What the gate knows about one host app: built from the database on a miss, then served from memory. */
type HostAppView = { state: 'unregistered' } | { state: 'unconfigured' } | { state: 'disabled' } | ReadyView;

type ReadyView = {
  state: 'ready';
  programs: Map<string, ProgramEntry>;
  /** No release in progress: every device gets the same answer, whatever its ID and the time. */
  steady: boolean;
  /** The key that signs this host app's manifests. */
  key: ManifestKey;
  /** The start of every manifest of this view (manifest.ts manifestHead): host app and generation. */
  head: string;
  /** The fingerprints of the host app's retired keys, as JSON. */
  revokedKeys: string;
  /**
   * On a steady view, the bytes of the answers to "everything" (no mini program named), by platform and client
   * version: the few a host app's devices send most, until their manifest is due for renewal. At most MEMO_SHAPES,
   * the oldest dropped first.
   */
  memo?: Map<string, { bytes: Buffer; renewAt: number }>;
  /**
   * Answers by the packages they name (their Served ids): the manifest content (its key string made once, so its
   * hash is too) and, while fresh, the bytes. During a rollout or for named mini programs, a request then costs the
   * choice of packages and one lookup. At most MAX_ANSWERS, the oldest dropped first.
   */
  answers?: Map<string, { content: ManifestContent; bytes?: Buffer; manifest?: SignedManifest }>;
};

const MEMO_SHAPES = 4;
const MAX_ANSWERS = 64;

const MAX_CACHED = 10_000;
/** Whitelists kept in memory (a release's whitelist never changes; only current releases need theirs). */
const MAX_WHITELISTS = 64;

/**
 * The run-time gate: only registered, configured host apps get packages, and only those authorised, released,
 * signed and fit for the client; during a gray release each device gets the new version or the previous one by its
 * cohort. The hot path is a map lookup (and, during a rollout, one hash); the cache is dropped on every change,
 * here or in another process (ChangeBus). The effective percent of a scheduled ramp is computed from the clock at
 * request time, so no scheduler is needed and every instance agrees.
 */
export class GateService {
  private readonly cache = new Map<string, HostAppView>();
  private readonly whitelists = new Map<string, Promise<ReadonlySet<string>>>();
  /** Counts the changes heard of, so a view loaded across one is not kept (not the answers' generation). */
  private epoch = 0;
  /** Told about every cache lookup (metrics). */
  onCacheLookup: (hit: boolean) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    changes: ChangeBus,
    /** `MPOP_PACKAGE_BASE_URL`: the server's own download route, or a CDN in front of the store. */
    private readonly packageBaseUrl: string,
    /** Signed manifests by content: the gate signs each distinct answer once per half lifetime, not per request. */
    readonly manifests: ManifestCache,
    private readonly clock: () => number = Date.now,
  ) {
    changes.onInvalidate((c) => {
      this.epoch++;
      if (c.kind === 'host-app-gate') this.cache.delete(key(c.workspaceId, c.appId));
      else this.cache.clear();
    });
  }

  async resources(req: ResourcesRequest): Promise<Resource[]> {
    return (await this.pick(req)).map((s) => JSON.parse(s.bytes.toString('utf8')) as Resource);
  }

  /**
   * The answer of `POST /client/v1/resources` as UTF-8 JSON, `{"resources":[…],"manifest":…,"manifestSignature":…,
   * "keyFingerprint":…}`, joined from the JSON bytes of each package made when the view was built and the signed
   * manifest of that content (signed now only when no usable one is kept): the hot path serializes nothing.
   */
  async answer(req: ResourcesRequest): Promise<Buffer> {
    const view = await this.ready(req);
    const served = this.served(view, req);
    const signed = await this.manifests.get(this.contentOf(view, served), view.key);
    return answerBytes(served, signed.tail);
  }

  /**
   * The answer, if this host app's view is cached and its signed manifest is at hand: the gate's fast path
   * (resources-fast-path.ts) answers from this without a promise. `undefined` (not cached, a refusal, or a manifest
   * still to be signed) leaves the request to `answer`.
   */
  cachedAnswer(req: ResourcesRequest): Buffer | undefined {
    const view = this.cache.get(key(req.workspaceId, req.appId));
    if (view?.state !== 'ready') return undefined;
    // Most launches ask for everything, from the same app version: a steady view keeps that answer's bytes.
    if (view.steady && isEmpty(req.miniPrograms)) {
      const shape = `${req.platform}\n${req.clientVersion}`;
      view.memo ??= new Map();
      const memo = view.memo.get(shape);
      if (memo && this.clock() < memo.renewAt) {
        this.onCacheLookup(true);
        return memo.bytes;
      }
      const signed = this.signedNow(view, req);
      if (!signed) return undefined;
      if (!memo && view.memo.size >= MEMO_SHAPES) view.memo.delete(view.memo.keys().next().value!);
      // Memoised only while fresh: past its renewal, each answer asks the cache, which renews it once.
      if (this.clock() < signed.manifest.renewAt) view.memo.set(shape, { bytes: signed.bytes, renewAt: signed.manifest.renewAt });
      this.onCacheLookup(true);
      return signed.bytes;
    }
    // Named mini programs: their prepared bytes, joined (as cheap as the memo, short of one copy).
    const signed = this.signedNow(view, req);
    if (signed) this.onCacheLookup(true);
    return signed?.bytes;
  }

  /** The answer's bytes with a manifest kept for its content, or undefined when none is at hand. */
  private signedNow(view: ReadyView, req: ResourcesRequest): { bytes: Buffer; manifest: SignedManifest } | undefined {
    const served = this.served(view, req);
    const known = this.known(view, served);
    if (known.bytes && known.manifest && this.clock() < known.manifest.renewAt) return { bytes: known.bytes, manifest: known.manifest };
    const manifest = this.manifests.peek(known.content, view.key);
    if (!manifest) return undefined;
    if (manifest !== known.manifest) {
      known.bytes = answerBytes(served, manifest.tail);
      known.manifest = manifest;
    }
    return { bytes: known.bytes!, manifest };
  }

  /** What the view knows of the answer made of these packages (made on first use). */
  private known(view: ReadyView, served: readonly Served[]) {
    let ids = '';
    for (const s of served) ids += `${s.id},`;
    view.answers ??= new Map();
    let known = view.answers.get(ids);
    if (!known) {
      if (view.answers.size >= MAX_ANSWERS) view.answers.delete(view.answers.keys().next().value!);
      const content = manifestContent(
        view.key.keyFingerprint,
        view.head,
        served.map((s) => s.entry),
        view.revokedKeys,
      );
      known = { content };
      view.answers.set(ids, known);
    }
    return known;
  }

  private contentOf(view: ReadyView, served: readonly Served[]) {
    return this.known(view, served).content;
  }

  /**
   * The version the gate gives this device of a mini program now (platform and client version aside: events do not
   * name them), or undefined. Deterministic: the same view, cohort and whitelist the answers come from, so it says
   * whether the device was served a version of a rollout without the gate writing down what it answered.
   */
  async versionFor(workspaceId: string, appId: string, miniProgramId: string, deviceId: string): Promise<string | undefined> {
    const view = await this.view(workspaceId, appId);
    if (view.state !== 'ready') return undefined;
    const entry = view.programs.get(miniProgramId);
    return entry && choose(entry, deviceId, this.clock())?.version;
  }

  private async pick(req: ResourcesRequest): Promise<Served[]> {
    return this.served(await this.ready(req), req);
  }

  /** The host app's view when it may load mini programs; otherwise the refusal, thrown. */
  private async ready(req: ResourcesRequest): Promise<ReadyView> {
    const view = await this.view(req.workspaceId, req.appId);
    if (view.state === 'unregistered') {
      throw new AppError(
        'HOST_APP_NOT_REGISTERED',
        `The app ${req.appId} is not in the Host App list of workspace ${req.workspaceId}; only listed apps may load mini programs.`,
      );
    }
    if (view.state === 'disabled') {
      throw new AppError(
        'HOST_APP_DISABLED',
        `The host app ${req.appId} of workspace ${req.workspaceId} is disabled; an operator can enable it again in the console.`,
      );
    }
    if (view.state === 'unconfigured') {
      throw new AppError(
        'HOST_APP_NOT_CONFIGURED',
        `The host app ${req.appId} has no development configuration yet; an operator must make it in the console first.`,
      );
    }
    return view;
  }

  /** What a ready view serves this request: the asked (or all) mini programs fit for the client and device. */
  private served(view: ReadyView, req: ResourcesRequest): Served[] {
    // An empty map asks for every mini program the host app may load.
    const wanted = Object.keys(req.miniPrograms);
    const ids = wanted.length > 0 ? wanted : [...view.programs.keys()];
    const now = this.clock();
    const fits = (s: Served) =>
      (!s.platform || s.platform === req.platform) && inRange(req.clientVersion, s.clientVersionMin, s.clientVersionMax);
    const out: Served[] = [];
    for (const id of ids) {
      const entry = view.programs.get(id);
      const c = entry && choose(entry, req.deviceId, now, fits);
      if (c) out.push(c);
    }
    return out;
  }

  private async view(workspaceId: string, appId: string): Promise<HostAppView> {
    const k = key(workspaceId, appId);
    const hit = this.cache.get(k);
    this.onCacheLookup(hit !== undefined);
    if (hit) return hit;
    const epoch = this.epoch;
    const view = await this.load(workspaceId, appId);
    // A change that arrived while loading may have made this view stale: serve it once, do not keep it.
    if (epoch === this.epoch) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, view);
    }
    return view;
  }

  private async load(workspaceId: string, appId: string): Promise<HostAppView> {
    const repo = new GateRepository(this.db);
    const app = await repo.findHostApp(workspaceId, appId);
    if (!app) return { state: 'unregistered' };
    if (app.disabledAt !== null) return { state: 'disabled' };
    if (!app.virtualDomain || !app.keyFingerprint || !app.privateKeySealed) return { state: 'unconfigured' };
    const [rows, revoked] = await Promise.all([repo.releases(app.id, app.keyFingerprint), repo.revokedKeys(app.id)]);
    const programs = buildEntries(rows, {
      workspaceId,
      appId,
      vhost: app.virtualDomain,
      keyFingerprint: app.keyFingerprint,
      packageBaseUrl: this.packageBaseUrl,
    });
    for (const entry of programs.values()) {
      if (entry.next && entry.rollout && entry.rollout.devices > 0) entry.rollout.whitelist = await this.whitelist(entry.rollout.releaseId);
      if (entry.elsewhere) entry.elsewhere.whitelist = await this.whitelist(entry.elsewhere.releaseId);
    }
    return {
      state: 'ready',
      programs,
      steady: [...programs.values()].every((e) => !e.rollout && !e.elsewhere),
      key: { workspaceId, appId, keyFingerprint: app.keyFingerprint, privateKeySealed: app.privateKeySealed },
      head: manifestHead({ appId, workspaceId, generation: Number(app.generation) }),
      revokedKeys: JSON.stringify(revoked),
    };
  }

  /** A release's whitelist, loaded once and shared by every host app's view (it never changes). */
  private whitelist(releaseId: string): Promise<ReadonlySet<string>> {
    let set = this.whitelists.get(releaseId);
    if (!set) {
      set = new GateRepository(this.db).devices(releaseId).then((ids) => new Set(ids));
      set.catch(() => this.whitelists.delete(releaseId));
      if (this.whitelists.size >= MAX_WHITELISTS) this.whitelists.delete(this.whitelists.keys().next().value!);
      this.whitelists.set(releaseId, set);
    }
    return set;
  }
}

const key = (workspaceId: string, appId: string) => `${workspaceId}\n${appId}`;
const isEmpty = (o: object) => {
  for (const _ in o) return false;
  return true;
};
const OPEN = Buffer.from('{"resources":[');
const CLOSE = Buffer.from(']');
const COMMA = 0x2c;

/**
 * `{"resources":[…]` from the prepared bytes of each package, then the tail of its signed manifest (which closes the
 * object): one allocation and one copy of each part.
 */
function answerBytes(served: readonly Served[], tail: Buffer): Buffer {
  let length = OPEN.length + CLOSE.length + tail.length + Math.max(0, served.length - 1);
  for (const s of served) length += s.bytes.length;
  const out = Buffer.allocUnsafe(length);
  let at = OPEN.copy(out, 0);
  for (let i = 0; i < served.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += served[i].bytes.copy(out, at);
  }
  at += CLOSE.copy(out, at);
  tail.copy(out, at);
  return out;
}
