import type { Kysely } from 'kysely';
import type { Resource, ResourcesRequest } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { inRange } from '../mini-programs/versions.js';
import { GateRepository } from './gate.repository.js';
import { buildEntries, choose, type ProgramEntry, patchesTo, type Served } from './served.js';

/** What the gate knows about one host app: built from the database on a miss, then served from memory. */
type HostAppView = { state: 'unregistered' } | { state: 'unconfigured' } | { state: 'disabled' } | ReadyView;

type ReadyView = {
  state: 'ready';
  programs: Map<string, ProgramEntry>;
  /** No release in progress: every device gets the same answer, whatever its ID and the time. */
  steady: boolean;
  /**
   * On a steady view, the bytes of the answers to "everything" (no mini program named), by platform and client
   * version: the few a host app's devices send most. At most MEMO_SHAPES, the oldest dropped first.
   */
  memo?: Map<string, Buffer>;
};

const MEMO_SHAPES = 4;

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
  private generation = 0;
  /** Told about every cache lookup (metrics). */
  onCacheLookup: (hit: boolean) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    changes: ChangeBus,
    /** `MPOP_PACKAGE_BASE_URL`: the server's own download route, or a CDN in front of the store. */
    private readonly packageBaseUrl: string,
    private readonly clock: () => number = Date.now,
    /** `MPOP_PATCH_BASE_URL`: where patches are downloaded. */
    private readonly patchBaseUrl?: string,
  ) {
    changes.onInvalidate((c) => {
      this.generation++;
      if (c.kind === 'host-app-gate') this.cache.delete(key(c.workspaceId, c.appId));
      else this.cache.clear();
    });
  }

  async resources(req: ResourcesRequest): Promise<Resource[]> {
    return (await this.pick(req)).map((b) => JSON.parse(b.toString('utf8')) as Resource);
  }

  /**
   * The answer of `POST /client/v1/resources` as UTF-8 JSON, `{"resources":[…]}`, joined from the JSON bytes of each
   * package made when the view was built: the hot path serializes nothing.
   */
  async answer(req: ResourcesRequest): Promise<Buffer> {
    return answerBytes(await this.pick(req));
  }

  /**
   * The answer, if this host app's view is cached and may be served: the gate's fast path (resources-fast-path.ts)
   * answers from this without a promise. `undefined` (not cached, or a refusal) leaves the request to `answer`.
   */
  cachedAnswer(req: ResourcesRequest): Buffer | undefined {
    const view = this.cache.get(key(req.workspaceId, req.appId));
    if (view?.state !== 'ready') return undefined;
    this.onCacheLookup(true);
    // Most launches ask for everything, from the same app version: a steady view keeps that answer's bytes.
    if (view.steady && isEmpty(req.miniPrograms)) {
      const shape = `${req.platform}\n${req.clientVersion}`;
      view.memo ??= new Map();
      let answer = view.memo.get(shape);
      if (!answer) {
        if (view.memo.size >= MEMO_SHAPES) view.memo.delete(view.memo.keys().next().value!);
        answer = answerBytes(this.served(view, req));
        view.memo.set(shape, answer);
      }
      return answer;
    }
    // Named mini programs: their prepared bytes, joined (as cheap as the memo, short of one copy).
    return answerBytes(this.served(view, req));
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

  private async pick(req: ResourcesRequest): Promise<Buffer[]> {
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
    return this.served(view, req);
  }

  /**
   * What a ready view serves this request: the asked (or all) mini programs fit for the client and device, each as
   * its prepared bytes; with a patch when the request names a version that a kept patch starts from.
   */
  private served(view: ReadyView, req: ResourcesRequest): Buffer[] {
    // An empty map asks for every mini program the host app may load.
    const wanted = Object.keys(req.miniPrograms);
    const ids = wanted.length > 0 ? wanted : [...view.programs.keys()];
    const now = this.clock();
    const fits = (s: Served) =>
      (!s.platform || s.platform === req.platform) && inRange(req.clientVersion, s.clientVersionMin, s.clientVersionMax);
    const out: Buffer[] = [];
    for (const id of ids) {
      const entry = view.programs.get(id);
      const c = entry && choose(entry, req.deviceId, now, fits);
      if (c) out.push(c.patched?.get(req.miniPrograms[id]) ?? c.bytes);
    }
    return out;
  }

  private async view(workspaceId: string, appId: string): Promise<HostAppView> {
    const k = key(workspaceId, appId);
    const hit = this.cache.get(k);
    this.onCacheLookup(hit !== undefined);
    if (hit) return hit;
    const generation = this.generation;
    const view = await this.load(workspaceId, appId);
    // A change that arrived while loading may have made this view stale: serve it once, do not keep it.
    if (generation === this.generation) {
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
    if (!app.virtualDomain || !app.keyFingerprint) return { state: 'unconfigured' };
    const [rows, patches] = await Promise.all([repo.releases(app.id, app.keyFingerprint), repo.patches(app.id)]);
    const programs = buildEntries(
      rows,
      {
        workspaceId,
        appId,
        vhost: app.virtualDomain,
        keyFingerprint: app.keyFingerprint,
        packageBaseUrl: this.packageBaseUrl,
        patchBaseUrl: this.patchBaseUrl,
      },
      patchesTo(patches),
    );
    for (const entry of programs.values()) {
      if (entry.next && entry.rollout && entry.rollout.devices > 0) entry.rollout.whitelist = await this.whitelist(entry.rollout.releaseId);
      if (entry.elsewhere) entry.elsewhere.whitelist = await this.whitelist(entry.elsewhere.releaseId);
    }
    return { state: 'ready', programs, steady: [...programs.values()].every((e) => !e.rollout && !e.elsewhere) };
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
const CLOSE = Buffer.from(']}');
const COMMA = 0x2c;

/** `{"resources":[…]}` from the prepared bytes of each package: one allocation and one copy of each part. */
function answerBytes(served: readonly Buffer[]): Buffer {
  let length = OPEN.length + CLOSE.length + Math.max(0, served.length - 1);
  for (const s of served) length += s.length;
  const out = Buffer.allocUnsafe(length);
  let at = OPEN.copy(out, 0);
  for (let i = 0; i < served.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += served[i].copy(out, at);
  }
  CLOSE.copy(out, at);
  return out;
}
