import type { Kysely } from 'kysely';
import type { Resource, ResourcesRequest } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { keptBuffer } from '../../lib/kept-bytes.js';
import { inRange } from '../mini-programs/versions.js';
import { GateRepository, type GatePatchRow, type GateReleaseRow } from './gate.repository.js';
import type { ManifestCache, ManifestKey, SignedManifest } from './manifest-cache.js';
import { type ManifestContent, manifestContent, manifestHead } from './manifest.js';
import { buildEntries, choose, type ProgramEntry, patchesTo, type Served } from './served.js';

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
  /** The host app's generation when the view was read. */
  generation: number;
  /** The fingerprints of the host app's retired keys, as JSON. */
  revokedKeys: string;
  /**
   * On a steady view, the bytes of its answers by request shape: "everything" (no mini program named) and the
   * mini programs a request names, each by platform and client version: the few shapes a host app's devices send
   * most, until their manifest is due for renewal. At most MEMO_SHAPES, the oldest dropped first.
   */
  memo?: Map<string, { bytes: Buffer; renewAt: number; req: ResourcesRequest }>;
  /**
   * Answers by the packages they name (their Served ids, and the patch each carries): the manifest content (its key
   * string made once, so its hash is too) and, while fresh, the bytes. During a rollout, or for shapes the memo does
   * not keep, a request then costs the choice of packages and one lookup. At most MAX_ANSWERS, oldest dropped first.
   */
  answers?: Map<string, { content: ManifestContent; bytes?: Buffer; manifest?: SignedManifest }>;
  /** Per mini program, the versions a kept patch starts from (a request naming one gets another answer). */
  patchFrom?: Map<string, Set<string>>;
};

/** Answers kept per steady view (each about 0.6 KB per mini program in it). */
const MEMO_SHAPES = 8;
/** Named requests longer than this are answered without keeping their bytes (the key would cost more than it saves). */
const MEMO_MAX_NAMED = 64;
/** Answers (by the packages they name) kept per view, with their manifest content. */
const MAX_ANSWERS = 64;

const MAX_CACHED = 10_000;
/** Host apps whose views are read in one pair of queries. */
const LOAD_BATCH = 128;
/** Whitelists kept in memory (a release's whitelist never changes; only current releases need theirs). */
const MAX_WHITELISTS = 64;

/**
 * The run-time gate: only registered, configured host apps get packages, and only those authorised, released,
 * signed and fit for the client; during a gray release each device gets the new version or the previous one by its
 * cohort. The hot path is a map lookup (and, during a rollout, one hash); the cache is dropped on every change,
 * here or in another process (ChangeBus): one host app's view when the change names it, every view otherwise (but
 * those a release's signing job here is about to sign for: kept until their batch lands, then read once). Views
 * that gained signatures or patches are read again and replace the cached ones (which serve meanwhile); misses, and
 * those refreshes, are read in batches, two queries per LOAD_BATCH host apps. The effective percent of a scheduled
 * ramp is computed from the clock at request time, so every instance agrees; the generation a step needs is raised
 * by releases/scheduled-steps.service.ts, whose change drops the views (they carry the generation in `head`).
 */
export class GateService {
  private readonly cache = new Map<string, HostAppView>();
  private readonly whitelists = new Map<string, Promise<ReadonlySet<string>>>();
  /** Views being loaded, by key: concurrent misses of one host app share one load. */
  private readonly loading = new Map<string, Promise<HostAppView>>();
  /** Misses and refreshes waiting for the next batch (read together at the end of this turn of the event loop). */
  private queued: Queued[] = [];
  /** Changes seen so far; a view loaded since an earlier one that touched it is served once, not kept. */
  private changes = 0;
  /** The change count at the last change to every view. */
  private clearedAt = 0;
  /** The change count at the last change to one view, since `clearedAt`. */
  private readonly changedAt = new Map<string, number>();
  /**
   * Views kept across a release because this process's signing job is about to sign for them (`keep` of the
   * change): the job's `signatures-made` for one replaces it at once instead of in the background.
   */
  private readonly awaiting = new Set<string>();
  /**
   * The request shapes each view dropped by the last change to every view had answered: a `signatures-made` naming
   * one of those host apps reads its view at once and signs them (presign), as for a view kept across a release.
   * So an instance that sees another's release (which reaches it without `keep`) fans it out the same way.
   */
  private dropped = new Map<string, readonly ResourcesRequest[]>();
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
    /** `MPOP_PATCH_BASE_URL`: where patches are downloaded. */
    private readonly patchBaseUrl?: string,
  ) {
    changes.onInvalidate((c) => {
      this.changes++;
      if (c.kind === 'host-app-gate') {
        const k = key(c.workspaceId, c.appId);
        this.touch(k);
        this.cache.delete(k);
        this.awaiting.delete(k);
      } else if (c.kind === 'signatures-made') {
        // Signatures only add to what a view serves: the cached ones keep serving while their new views are read,
        // in one batch, and replace them. A view kept across a release (below) is out of date in more than its
        // signatures: it stops serving, and its requests wait for that same batch.
        for (const [workspaceId, appId] of c.hostApps) {
          const k = key(workspaceId, appId);
          this.touch(k);
          const dropped = this.dropped.get(k);
          this.dropped.delete(k);
          if (this.awaiting.delete(k)) {
            const shapes = shapesOf(this.cache.get(k));
            this.cache.delete(k);
            void this.miss(k, workspaceId, appId, shapes);
          } else if (this.cache.has(k)) this.enqueue({ k, workspaceId, appId });
          else if (dropped) void this.miss(k, workspaceId, appId, dropped);
        }
      } else if (c.kind === 'patches-made') {
        // A patch only adds to what a view serves of its mini program: the views serving it are read again in the
        // background (the cached ones serve meanwhile); a view kept across a release is read once its signatures are
        // made, with the patch. Views being read may have been read before the patch: served once, not kept.
        for (const k of [...this.loading.keys()]) this.touch(k);
        for (const [k, view] of this.cache) {
          if (view.state !== 'ready' || !view.programs.has(c.miniProgramId) || this.awaiting.has(k)) continue;
          this.touch(k);
          const [workspaceId, appId] = k.split('\n');
          this.enqueue({ k, workspaceId, appId });
        }
      } else {
        // Views a signing job is about to sign for are kept (serving what they served, as they would until their
        // signatures exist) and read once, when their signatures are made; every other view is dropped.
        const kept: [string, HostAppView][] = [];
        for (const [workspaceId, appId] of c.keep ?? []) {
          const k = key(workspaceId, appId);
          const view = this.cache.get(k);
          if (view) kept.push([k, view]);
          this.cache.delete(k);
        }
        const dropped = new Map<string, readonly ResourcesRequest[]>();
        for (const [k, view] of this.cache) {
          const shapes = shapesOf(view);
          if (shapes.length > 0) dropped.set(k, shapes);
        }
        // Read again below at once, or when a `signatures-made` names them.
        this.dropped = c.refresh ? new Map() : dropped;
        this.clearedAt = this.changes;
        this.changedAt.clear();
        this.loading.clear();
        this.cache.clear();
        this.awaiting.clear();
        for (const [k, view] of kept) {
          this.cache.set(k, view);
          this.awaiting.add(k);
        }
        // Nothing more to sign for it (a roll-back, a take-down): the views in use are read again now, in batches,
        // and their answers signed as read; requests meanwhile wait for the same reads.
        if (c.refresh)
          for (const [k, shapes] of dropped) {
            const [workspaceId, appId] = k.split('\n');
            void this.miss(k, workspaceId, appId, shapes);
          }
      }
    });
  }

  async resources(req: ResourcesRequest): Promise<Resource[]> {
    return (await this.pick(req)).map((c) => JSON.parse(c.bytes.toString('utf8')) as Resource);
  }

  /**
   * The answer of `POST /client/v1/resources` as UTF-8 JSON, `{"resources":[…],"manifest":…,"manifestSignature":…,
   * "keyFingerprint":…}`, joined from the JSON bytes of each package made when the view was built and the signed
   * manifest of that content (signed now only when no usable one is kept): the hot path serializes nothing.
   */
  async answer(req: ResourcesRequest): Promise<Buffer> {
    const view = await this.ready(req);
    const chosen = this.served(view, req);
    const known = this.known(view, chosen);
    const manifest = await this.manifests.get(known.content, view.key);
    if (manifest !== known.manifest) {
      known.bytes = answerBytes(chosen, manifest.tail);
      known.manifest = manifest;
    }
    // Kept like the fast path's answers: the view's next request of this shape is a lookup, and a release knows to
    // sign this shape's manifest as soon as the view is read again (presign).
    const shape = view.steady ? shapeOf(view, req) : undefined;
    if (shape !== undefined) this.memorise(view, shape, req, { bytes: known.bytes!, manifest });
    return known.bytes!;
  }

  /**
   * The answer, if this host app's view is cached and may be served: the gate's fast path (resources-fast-path.ts)
   * answers from this without a promise. `undefined` (not cached, or a refusal) leaves the request to `answer`.
   */
  cachedAnswer(req: ResourcesRequest): Buffer | undefined {
    const view = this.cache.get(key(req.workspaceId, req.appId));
    if (view?.state !== 'ready') return undefined;
    const shape = view.steady ? shapeOf(view, req) : undefined;
    if (shape === undefined) return this.counted(this.signedNow(view, req)?.bytes);
    const memo = view.memo?.get(shape);
    if (memo && this.clock() < memo.renewAt) return this.counted(memo.bytes);
    const signed = this.signedNow(view, req);
    if (!signed) return undefined;
    this.memorise(view, shape, req, signed);
    return this.counted(signed.bytes);
  }

  /** Keeps a steady view's answer to a shape of request, while its manifest is fresh (MEMO_SHAPES at most). */
  private memorise(view: ReadyView, shape: string, req: ResourcesRequest, signed: { bytes: Buffer; manifest: SignedManifest }) {
    // Kept only while fresh: past its renewal, each answer asks the cache, which renews it once.
    if (this.clock() >= signed.manifest.renewAt) return;
    view.memo ??= new Map();
    if (!view.memo.has(shape) && view.memo.size >= MEMO_SHAPES) view.memo.delete(view.memo.keys().next().value!);
    view.memo.set(shape, { bytes: signed.bytes, renewAt: signed.manifest.renewAt, req });
  }

  /** A cache hit for the metrics, when the fast path answers. */
  private counted(bytes: Buffer | undefined): Buffer | undefined {
    if (bytes) this.onCacheLookup(true);
    return bytes;
  }

  /** The answer's bytes with a manifest kept for its content, or undefined when none is at hand. */
  private signedNow(view: ReadyView, req: ResourcesRequest): { bytes: Buffer; manifest: SignedManifest } | undefined {
    const chosen = this.served(view, req);
    const known = this.known(view, chosen);
    if (known.bytes && known.manifest && this.clock() < known.manifest.renewAt) return { bytes: known.bytes, manifest: known.manifest };
    const manifest = this.manifests.peek(known.content, view.key);
    if (!manifest) return undefined;
    if (manifest !== known.manifest) {
      known.bytes = answerBytes(chosen, manifest.tail);
      known.manifest = manifest;
    }
    return { bytes: known.bytes!, manifest };
  }

  /** What the view knows of the answer made of these packages (made on first use). */
  private known(view: ReadyView, chosen: readonly Chosen[]) {
    let ids = '';
    for (const c of chosen) ids += c.bytes === c.served.bytes ? `${c.served.id},` : `${c.served.id}@${c.from},`;
    view.answers ??= new Map();
    let known = view.answers.get(ids);
    if (!known) {
      if (view.answers.size >= MAX_ANSWERS) view.answers.delete(view.answers.keys().next().value!);
      const content = manifestContent(
        view.key.keyFingerprint,
        view.head,
        chosen.map((c) => c.served.entry),
        view.revokedKeys,
        view.generation,
      );
      known = { content };
      view.answers.set(ids, known);
    }
    return known;
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

  private async pick(req: ResourcesRequest): Promise<Chosen[]> {
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

  /**
   * What a ready view serves this request: the asked (or all) mini programs fit for the client and device, each as
   * its prepared bytes; with a patch when the request names a version that a kept patch starts from.
   */
  private served(view: ReadyView, req: ResourcesRequest): Chosen[] {
    // An empty map asks for every mini program the host app may load.
    const wanted = Object.keys(req.miniPrograms);
    const ids = wanted.length > 0 ? wanted : [...view.programs.keys()];
    const now = this.clock();
    const fits = (s: Served) =>
      (!s.platform || s.platform === req.platform) && inRange(req.clientVersion, s.clientVersionMin, s.clientVersionMax);
    const out: Chosen[] = [];
    for (const id of ids) {
      const entry = view.programs.get(id);
      const c = entry && choose(entry, req.deviceId, now, fits);
      if (!c) continue;
      const from = req.miniPrograms[id];
      const patched = c.patched?.get(from);
      out.push(patched ? { served: c, bytes: patched, from } : { served: c, bytes: c.bytes });
    }
    return out;
  }

  private view(workspaceId: string, appId: string): Promise<HostAppView> | HostAppView {
    const k = key(workspaceId, appId);
    const hit = this.cache.get(k);
    this.onCacheLookup(hit !== undefined);
    if (hit) return hit;
    return this.loading.get(k) ?? this.miss(k, workspaceId, appId);
  }

  /**
   * Queues the read of a view that is not cached; its requests wait for it. `shapes`: requests whose answers are
   * signed as soon as it is read (see presign).
   */
  private miss(k: string, workspaceId: string, appId: string, shapes?: readonly ResourcesRequest[]): Promise<HostAppView> {
    const q: Queued = { k, workspaceId, appId, shapes };
    q.promise = new Promise<HostAppView>((resolve, reject) => {
      q.resolve = resolve;
      q.reject = reject;
    });
    // Nobody may be waiting for it (a kept view replaced once signed): a failed read is no unhandled rejection; the
    // next request reads again.
    q.promise.catch(() => {});
    this.loading.set(k, q.promise);
    this.enqueue(q);
    return q.promise;
  }

  /** A change to one view: loads of it under way are served once, not kept. */
  private touch(k: string) {
    this.loading.delete(k);
    if (this.changedAt.size >= MAX_CACHED) {
      this.clearedAt = this.changes;
      this.changedAt.clear();
    } else this.changedAt.set(k, this.changes);
  }

  private enqueue(q: Queued) {
    this.queued.push(q);
    if (this.queued.length === 1) setImmediate(this.loadQueued);
  }

  /**
   * Reads the views queued in this turn, LOAD_BATCH host apps per pair of queries, one batch started per turn of the
   * event loop: on SQLite a batch's statements run without a pause, so a fan-out of thousands of views (a release,
   * a roll-back) lets the gate answer its cached host apps between batches instead of after all of them.
   */
  private readonly loadQueued = () => {
    const queued = this.queued;
    this.queued = [];
    const next = (i: number) => {
      void this.loadBatch(queued.slice(i, i + LOAD_BATCH));
      if (i + LOAD_BATCH < queued.length) setImmediate(next, i + LOAD_BATCH);
    };
    next(0);
  };

  private async loadBatch(batch: Queued[]) {
    const since = this.changes;
    let views: Map<string, HostAppView>;
    try {
      views = await this.load(batch);
    } catch (err) {
      for (const q of batch) this.settled(q);
      for (const q of batch) q.reject?.(err);
      return;
    }
    for (const q of batch) {
      const view = views.get(q.k)!;
      // A change that arrived while loading may have made this view stale: serve it once, do not keep it.
      const stale = this.clearedAt > since || (this.changedAt.get(q.k) ?? 0) > since;
      const replaced = this.cache.get(q.k);
      if (!stale && (q.promise || replaced)) {
        if (!replaced && this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(q.k, view);
        this.presign(view, q.shapes ?? shapesOf(replaced));
      }
      this.settled(q);
      q.resolve?.(view);
    }
  }

  /**
   * Signs, now, the manifests a view read again will be asked for: those of the request shapes its predecessor
   * answered from memory (its memo). A release's fan-out then makes its manifest signatures as its views are read,
   * many to a message to the signing threads, instead of one at a time as each host app's devices next ask (and
   * wait for it). Steady views only (during a rollout, a device's answer depends on its cohort). Requests that come
   * meanwhile wait for the same signature; one that fails is logged, and the next request signs again.
   */
  private presign(view: HostAppView, shapes: readonly ResourcesRequest[]) {
    if (view.state !== 'ready' || !view.steady) return;
    for (const req of shapes) {
      const signed = this.manifests.get(this.known(view, this.served(view, req)).content, view.key);
      if (signed instanceof Promise) signed.catch(this.manifests.onError);
    }
  }

  private settled(q: Queued) {
    if (q.promise && this.loading.get(q.k) === q.promise) this.loading.delete(q.k);
  }

  /** The views of a batch of host apps: two queries for all of them (and a release's whitelist the first time). */
  private async load(batch: readonly Queued[]): Promise<Map<string, HostAppView>> {
    const repo = new GateRepository(this.db);
    const apps = new Map((await repo.findHostApps(batch)).map((a) => [key(a.workspaceId, a.appId), a]));
    const ready = [...apps.values()].filter((a) => a.disabledAt === null && a.virtualDomain && a.keyFingerprint && a.privateKeySealed);
    const rowsOf = new Map<number, GateReleaseRow[]>(ready.map((a) => [a.id, []]));
    const patchesOf = new Map<number, GatePatchRow[]>(ready.map((a) => [a.id, []]));
    const revokedOf = new Map<number, string[]>(ready.map((a) => [a.id, []]));
    if (ready.length > 0) {
      const ids = ready.map((a) => a.id);
      const [rows, patches, revoked] = await Promise.all([repo.releases(ids), repo.patches(ids), repo.revokedKeys(ids)]);
      for (const r of rows) rowsOf.get(r.hostAppId)?.push(r);
      for (const p of patches) patchesOf.get(p.hostAppId)?.push(p);
      for (const r of revoked) revokedOf.get(r.hostAppId)?.push(r.keyFingerprint);
    }
    const views = new Map<string, HostAppView>();
    for (const q of batch) {
      const app = apps.get(q.k);
      if (!app) views.set(q.k, { state: 'unregistered' });
      else if (app.disabledAt !== null) views.set(q.k, { state: 'disabled' });
      else if (!app.virtualDomain || !app.keyFingerprint || !app.privateKeySealed) views.set(q.k, { state: 'unconfigured' });
      else {
        const programs = buildEntries(
          rowsOf.get(app.id)!,
          {
            workspaceId: q.workspaceId,
            appId: q.appId,
            vhost: app.virtualDomain,
            keyFingerprint: app.keyFingerprint,
            packageBaseUrl: this.packageBaseUrl,
            patchBaseUrl: this.patchBaseUrl,
          },
          patchesTo(patchesOf.get(app.id)!),
        );
        for (const entry of programs.values()) {
          if (entry.next && entry.rollout && entry.rollout.devices > 0)
            entry.rollout.whitelist = await this.whitelist(entry.rollout.releaseId);
          if (entry.elsewhere) entry.elsewhere.whitelist = await this.whitelist(entry.elsewhere.releaseId);
        }
        views.set(q.k, {
          state: 'ready',
          programs,
          steady: [...programs.values()].every((e) => !e.rollout && !e.elsewhere),
          patchFrom: patchFrom(programs),
          key: {
            hostAppId: app.id,
            workspaceId: q.workspaceId,
            appId: q.appId,
            keyFingerprint: app.keyFingerprint,
            privateKeySealed: app.privateKeySealed,
          },
          head: manifestHead({ appId: q.appId, workspaceId: q.workspaceId, generation: Number(app.generation) }),
          generation: Number(app.generation),
          revokedKeys: JSON.stringify(revokedOf.get(app.id)),
        });
      }
    }
    return views;
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

/**
 * The shape of a request to a steady view, which answers every device alike: the answer to each shape is made once
 * and kept, whether it asks for everything (most launches) or names mini programs (the answer follows the order they
 * are named in). Undefined for a request naming more than MEMO_MAX_NAMED (its key would cost more than it saves).
 */
function shapeOf(view: ReadyView, req: ResourcesRequest): string | undefined {
  let shape = `${req.platform}\n${req.clientVersion}`;
  let named = 0;
  for (const id in req.miniPrograms) {
    if (++named > MEMO_MAX_NAMED) return undefined;
    shape += `\n${id}`;
    // A named version that a kept patch starts from gets the answer with that patch: another shape.
    const has = req.miniPrograms[id];
    if (view.patchFrom?.get(id)?.has(has)) shape += `@${has}`;
  }
  return shape;
}

/** The request shapes a steady view answered (one request of each), most recent last. */
function shapesOf(view: HostAppView | undefined): ResourcesRequest[] {
  if (view?.state !== 'ready' || !view.memo) return [];
  return [...view.memo.values()].map((m) => m.req);
}

/** The versions each mini program's served packages have patches from; undefined when there are none. */
function patchFrom(programs: ReadonlyMap<string, ProgramEntry>): Map<string, Set<string>> | undefined {
  let out: Map<string, Set<string>> | undefined;
  for (const [id, e] of programs) {
    for (const s of [e.next, e.fallback, ...(e.older ?? []), e.elsewhere?.served]) {
      for (const v of s?.patched?.keys() ?? []) {
        out ??= new Map();
        const set = out.get(id) ?? new Set<string>();
        out.set(id, set.add(v));
      }
    }
  }
  return out;
}

/** A view to read in the next batch: a miss (with the promise its requests wait on) or a refresh of a cached one. */
/** A package chosen for a request, and the bytes that stand for it in the answer (with a patch, when one applies). */
interface Chosen {
  served: Served;
  bytes: Buffer;
  /** The version the request named, when `bytes` carry a patch from it. */
  from?: string;
}

interface Queued {
  k: string;
  workspaceId: string;
  appId: string;
  /** Requests whose answers are signed as soon as the view is read (see presign); else its predecessor's. */
  shapes?: readonly ResourcesRequest[];
  /** A miss: the load its requests wait on. */
  promise?: Promise<HostAppView>;
  resolve?: (view: HostAppView) => void;
  reject?: (err: unknown) => void;
}

const OPEN = Buffer.from('{"resources":[');
const CLOSE = Buffer.from(']');
const COMMA = 0x2c;

/** `{"resources":[…]}` from the prepared bytes of each package: one allocation and one copy of each part. */
function answerBytes(chosen: readonly Chosen[], tail: Buffer): Buffer {
  let length = OPEN.length + CLOSE.length + tail.length + Math.max(0, chosen.length - 1);
  for (const c of chosen) length += c.bytes.length;
  const out = keptBuffer(length); // kept by the view (memo, answers): not a slice of Node's shared pool
  let at = OPEN.copy(out, 0);
  for (let i = 0; i < chosen.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += chosen[i].bytes.copy(out, at);
  }
  at += CLOSE.copy(out, at);
  tail.copy(out, at);
  return out;
}
