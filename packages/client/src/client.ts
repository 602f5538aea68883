import { MemoryCache, type PackageCache } from './cache.js';
import { MpopError } from './errors.js';
import { exchange, type HttpOptions, type RetryOptions } from './http.js';
import { checkAnswer, type GateAnswer, type ManifestEntry, TrustState } from './manifest.js';
import { applyPatchAsync, PATCH_FORMAT } from './patch.js';
import { defaultStore, type StateStore } from './store.js';
import type { ClientEvent, DownloadDetail, DownloadOptions, MpopConfig, Platform, Resource } from './types.js';
import { bindingMessage, KeyRing, sha256Hex, verifySignature } from './verify.js';
import { ReleaseCheck } from './release-signature.js';

export interface MpopClientOptions {
  /** The config file's JSON (`mpop-<appId>.json`). */
  config: MpopConfig;
  /** A stable, anonymous ID of this installation: 1..128 of letters, digits and . _ : - (rollouts pick devices by it). */
  deviceId: string;
  platform: Platform;
  /** The host app's own version, such as `10.2.3`: the gate leaves out packages made for other versions. */
  clientVersion: string;
  /** Verified packages by SHA-256 (default: in memory). In Node, `DirectoryCache` from `@mpop/client/node`. */
  cache?: PackageCache;
  /** Timeout of one API call attempt (default 10 s). */
  timeoutMs?: number;
  /** Timeout of one package download attempt (default 60 s). */
  downloadTimeoutMs?: number;
  retry?: RetryOptions;
  /** Report `download`, `verified` and `failure` events from `download()` by themselves (default true). */
  autoReport?: boolean;
  /** How long automatic events wait to travel with others (default 1 s). */
  reportDelayMs?: number;
  /** Events kept while the server cannot be reached; the oldest are dropped beyond this (default 1,000). */
  maxQueuedEvents?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Where the highest accepted manifest generation, the retired keys and the mini programs last named are kept
   * (default: `localStorage` in a browser, memory elsewhere; `@mpop/client/node` defaults to a file).
   */
  store?: StateStore;
  /** The clock manifests are checked against, epoch milliseconds (default `Date.now`; tests move it). */
  now?: () => number;
  /** Take `http:` package URLs in manifests (local development only; default false: https only). */
  allowHttp?: boolean;
  /** Told about mini programs a newer manifest no longer names: stop opening them (also in `client.removed`). */
  onRemoved?: (miniProgramIds: string[]) => void;
  /**
   * Run only packages their organisation signed: `download()` refuses (RELEASE_SIGNATURE) a package without a valid
   * release signature by a key of the config file's `releaseKeys`. Without it, a signature by a listed key is still
   * checked, and a bad one refused.
   */
  requireReleaseSignature?: boolean;
}

const BATCH = 100;

/**
 * The host app side of mpop: asks the gate which packages this app may load, downloads them, and hands them out
 * only when size, SHA-256, the package signature and the binding signature all check out against the config
 * file's public keys; reports what devices did, in batches.
 */
export class MpopClient {
  readonly config: MpopConfig;
  private readonly keys: KeyRing;
  private readonly release: ReleaseCheck;
  private readonly cache: PackageCache;
  private readonly http: HttpOptions;
  private readonly queue: ClientEvent[] = [];
  private sending?: Promise<void>;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly state: TrustState;
  /** The manifest entry of each mini program, as the latest accepted manifest that names it says. */
  private readonly accepted = new Map<string, ManifestEntry>();
  /**
   * The mini programs the latest `resources()` found removed: named by an earlier accepted manifest, asked for (or
   * everything asked for), and not named by the newer one. The app should stop opening them.
   */
  removed: string[] = [];

  constructor(private readonly options: MpopClientOptions) {
    const c = options.config;
    const missing = (['appId', 'workspaceId', 'gatewayUrl'] as const).filter((k) => typeof c?.[k] !== 'string' || !c[k]);
    if (missing.length > 0)
      throw new MpopError('INVALID_CONFIG', `The config file lacks ${missing.join(', ')}; download it again from the console.`);
    if (!Array.isArray(c.publicKeys) || c.publicKeys.length === 0) {
      throw new MpopError('INVALID_CONFIG', 'The config file lists no public key; download it again from the console.');
    }
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(options.deviceId ?? '')) {
      throw new MpopError('INVALID_OPTIONS', 'The deviceId must be 1..128 characters of letters, digits and . _ : - (a UUID will do).');
    }
    this.config = { ...c, gatewayUrl: c.gatewayUrl.replace(/\/+$/, '') };
    this.keys = new KeyRing(c.publicKeys);
    this.release = new ReleaseCheck(Array.isArray(c.releaseKeys) ? c.releaseKeys : [], options.requireReleaseSignature === true);
    this.cache = options.cache ?? new MemoryCache();
    this.state = new TrustState(options.store ?? defaultStore(), `mpop:${c.workspaceId}:${c.appId}:`);
    this.http = {
      fetch: options.fetch ?? ((...args) => globalThis.fetch(...args)),
      retry: { retries: 3, baseDelayMs: 300, maxDelayMs: 10_000, maxRetryAfterMs: 60_000, ...options.retry },
    };
  }

  /**
   * The gate's answer: the packages this host app may load. `miniPrograms` maps mini program IDs to the version the
   * device has (or `*`); leave it empty for every authorised mini program. Returned only once its signed manifest
   * checks out (signature, host app, generation, expiry, every resource equal to its entry); otherwise rejects with
   * MANIFEST_SIGNATURE, MANIFEST_ROLLBACK, MANIFEST_EXPIRED or MANIFEST_MISMATCH. Mini programs the manifest no
   * longer names are in `removed` (and passed to `onRemoved`).
   */
  async resources(miniPrograms: Record<string, string> = {}): Promise<Resource[]> {
    const { appId, workspaceId, gatewayUrl } = this.config;
    const { platform, clientVersion, deviceId } = this.options;
    const body = { appId, workspaceId, platform, clientVersion, deviceId, miniPrograms };
    const answer = await exchange(
      this.http,
      `${gatewayUrl}/resources`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      this.options.timeoutMs ?? 10_000,
      (res) => res.json() as Promise<GateAnswer>,
    );
    await this.state.load();
    const manifest = await checkAnswer(answer, {
      config: this.config,
      keys: this.keys,
      state: this.state,
      now: (this.options.now ?? Date.now)(),
      allowHttp: this.options.allowHttp === true,
    });
    // Accepted: remember it (a replay of anything older is refused from now on), and what it dropped.
    const named = new Set(manifest.resources.map((e) => e.miniProgramId));
    const asked = Object.keys(miniPrograms);
    const scope = asked.length > 0 ? asked : [...this.state.programs, ...this.accepted.keys()];
    const removed = [...new Set(scope)].filter((id) => !named.has(id) && (this.state.programs.has(id) || this.accepted.has(id)));
    for (const id of removed) {
      this.state.programs.delete(id);
      this.accepted.delete(id);
    }
    for (const e of manifest.resources) {
      this.state.programs.add(e.miniProgramId);
      this.accepted.set(e.miniProgramId, e);
    }
    this.state.generation = Math.max(this.state.generation, manifest.generation);
    for (const k of manifest.revokedKeys) this.state.revoked.add(k.toLowerCase());
    await this.state.save();
    this.removed = removed;
    if (removed.length > 0) this.options.onRemoved?.(removed);
    return answer.resources;
  }

  /**
   * The package's bytes, once they are exactly what the gate announced (size, SHA-256) and both signatures verify
   * with a key of the config file picked by `keyFingerprint` (and the release signature, see `requireReleaseSignature`).
   * Otherwise rejects with PACKAGE_INTEGRITY, PACKAGE_SIGNATURE or RELEASE_SIGNATURE and returns nothing. A verified
   * package is cached by SHA-256 and not downloaded again.
   *
   * With `current` (the bytes of the version this device named to `resources()`) and a `patch` in the resource,
   * the package is rebuilt from them and the patch, when `current` hashes to `patch.fromSha256` and the patch has its
   * announced size and SHA-256; the result is checked exactly like a download. On any failure of that way, the full
   * package is downloaded instead.
   */
  async download(resource: Resource, options: DownloadOptions = {}): Promise<Uint8Array> {
    try {
      await this.state.load();
      if (this.state.revoked.has(resource.keyFingerprint?.toLowerCase())) {
        throw new MpopError(
          'PACKAGE_SIGNATURE',
          `The package of ${resource.miniProgramId} ${resource.version} is signed with key ${resource.keyFingerprint}, which was retired.`,
        );
      }
      const key = await this.keys.get(resource.keyFingerprint);
      // Checked first: a package handed out under another mini program's, host app's or version's name is refused
      // before a byte is downloaded.
      const binding = new TextEncoder().encode(bindingMessage(this.config, resource));
      if (!(await verifySignature(key, resource.bindingSignature, binding))) {
        throw new MpopError(
          'PACKAGE_SIGNATURE',
          `The binding signature of ${resource.miniProgramId} ${resource.version} does not verify: the package is not meant for this host app, mini program or version.`,
        );
      }
      // Only what an accepted manifest vouches for: its version, bytes (hash and size, the cap of the download) and URL.
      const entry = this.accepted.get(resource.miniProgramId);
      if (!entry || (['version', 'sha256', 'size', 'packageUrl'] as const).some((f) => entry[f] !== resource[f])) {
        throw new MpopError(
          'MANIFEST_MISMATCH',
          `No accepted manifest names ${resource.miniProgramId} ${resource.version} with these bytes; call resources() first.`,
        );
      }
      let bytes = await this.fromCache(resource);
      const fetched = !bytes;
      let detail: DownloadDetail | undefined;
      if (!bytes && resource.patch && options.current) {
        bytes = await this.viaPatch(resource, options.current);
        detail = bytes ? { patch: true, bytesSaved: Math.max(0, resource.size - resource.patch.size) } : { patch: false };
      }
      if (!bytes) bytes = await this.fetchPackage(resource);
      if (!(await verifySignature(key, resource.signature, bytes))) {
        throw new MpopError(
          'PACKAGE_SIGNATURE',
          `The signature of ${resource.miniProgramId} ${resource.version} does not verify over its bytes.`,
        );
      }
      // The bytes match resource.sha256 (checked above), which the organisation's release signature covers.
      await this.release.check(resource);
      if (fetched) {
        await this.cache.set(resource.sha256, bytes);
        this.autoEvent({
          type: 'download',
          miniProgramId: resource.miniProgramId,
          version: resource.version,
          ...(detail ? { detail } : {}),
        });
      }
      this.autoEvent({ type: 'verified', miniProgramId: resource.miniProgramId, version: resource.version });
      return bytes;
    } catch (err) {
      if (
        err instanceof MpopError &&
        (err.code === 'PACKAGE_INTEGRITY' || err.code === 'PACKAGE_SIGNATURE' || err.code === 'RELEASE_SIGNATURE')
      ) {
        this.autoEvent({ type: 'failure', miniProgramId: resource.miniProgramId, version: resource.version, detail: { reason: err.code } });
      }
      throw err;
    }
  }

  /**
   * The package rebuilt from `current` and the resource's patch, once it has the announced size and SHA-256; else
   * undefined (the caller downloads the full package). Never throws.
   */
  private async viaPatch(resource: Resource, current: Uint8Array): Promise<Uint8Array | undefined> {
    const patch = resource.patch!;
    try {
      if (patch.format !== PATCH_FORMAT || (await sha256Hex(current)) !== patch.fromSha256) return undefined;
      const bytes = await exchange(this.http, patch.url, { method: 'GET' }, this.options.downloadTimeoutMs ?? 60_000, (res) =>
        readAtMost(res, patch.size),
      );
      if (!bytes || bytes.length !== patch.size || (await sha256Hex(bytes)) !== patch.sha256) return undefined;
      const rebuilt = await applyPatchAsync(current, bytes, resource.size);
      return (await sha256Hex(rebuilt)) === resource.sha256 ? rebuilt : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Reports events (the `at` of each is set now when absent) and sends them with whatever else is queued, in
   * batches of 100. Resolves once they are accepted; rejects with the server's code or a network code (events that
   * may succeed later stay queued and go with the next report or flush).
   */
  async report(events: ClientEvent[]): Promise<void> {
    const at = new Date().toISOString();
    this.enqueue(events.map((e) => ({ ...e, at: e.at ?? at })));
    await this.flush();
  }

  /** Sends every queued event now. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      if (this.sending) {
        await this.sending.catch(() => {});
        continue;
      }
      const batch = this.queue.splice(0, BATCH);
      this.sending = this.send(batch).finally(() => {
        this.sending = undefined;
      });
      await this.sending;
    }
  }

  /** Sends what is queued and stops the report timer. */
  async close(): Promise<void> {
    await this.flush();
  }

  private async send(events: ClientEvent[]): Promise<void> {
    const { appId, workspaceId, gatewayUrl } = this.config;
    try {
      await exchange(
        this.http,
        `${gatewayUrl}/events`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ appId, workspaceId, deviceId: this.options.deviceId, events }),
        },
        this.options.timeoutMs ?? 10_000,
        async (res) => void (await res.arrayBuffer()),
      );
    } catch (err) {
      // A refusal (4xx) will not change; anything else may succeed later.
      const status = err instanceof MpopError ? err.status : undefined;
      if (status === undefined || status >= 500 || status === 429) this.enqueue(events, true);
      throw err;
    }
  }

  private enqueue(events: ClientEvent[], front = false) {
    if (front) this.queue.unshift(...events);
    else this.queue.push(...events);
    const max = this.options.maxQueuedEvents ?? 1000;
    if (this.queue.length > max) this.queue.splice(0, this.queue.length - max);
  }

  private autoEvent(e: ClientEvent) {
    if (this.options.autoReport === false) return;
    this.enqueue([{ ...e, at: new Date().toISOString() }]);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, this.options.reportDelayMs ?? 1000);
    // In Node, a pending report must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** A cached copy, used only when its hash still matches (a damaged cache entry is dropped and downloaded again). */
  private async fromCache(resource: Resource): Promise<Uint8Array | undefined> {
    const bytes = await this.cache.get(resource.sha256).catch(() => undefined);
    if (!bytes) return undefined;
    if (bytes.length === resource.size && (await sha256Hex(bytes)) === resource.sha256) return bytes;
    await this.cache.delete(resource.sha256).catch(() => {});
    return undefined;
  }

  private fetchPackage(resource: Resource): Promise<Uint8Array> {
    return exchange(this.http, resource.packageUrl, { method: 'GET' }, this.options.downloadTimeoutMs ?? 60_000, async (res) => {
      const bytes = await readAtMost(res, resource.size);
      if (bytes === undefined || bytes.length !== resource.size) {
        throw new MpopError(
          'PACKAGE_INTEGRITY',
          `The package of ${resource.miniProgramId} ${resource.version} is not ${resource.size} bytes long as announced.`,
        );
      }
      if ((await sha256Hex(bytes)) !== resource.sha256) {
        throw new MpopError(
          'PACKAGE_INTEGRITY',
          `The package of ${resource.miniProgramId} ${resource.version} does not have the announced SHA-256.`,
        );
      }
      return bytes;
    });
  }
}

/** The body, or undefined as soon as it grows past `limit` bytes (a longer body is never buffered whole). */
async function readAtMost(res: Response, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  // Chunks, not one buffer of `limit` bytes: `size` comes from the answer and is not trusted with memory.
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
