import { keptBytes } from '../../lib/kept-bytes.js';
import { type ManifestContent, manifestText } from './manifest.js';

/** The host app key a manifest is signed with, as the gate's view holds it (sealed with the master key). */
export interface ManifestKey {
  /** The host app's row ID: with the fingerprint, the name its parsed key is kept under in the signing threads. */
  hostAppId: number;
  workspaceId: string;
  appId: string;
  keyFingerprint: string;
  privateKeySealed: string;
}

/** Signs a manifest's text (RSASSA-PKCS1-v1_5 / SHA-256, base64) off the event loop: signing/manifest-signer.ts. */
export interface ManifestSigner {
  sign(key: ManifestKey, text: string): Promise<string>;
}

/** A manifest signed once and handed out until it is renewed. */
export interface SignedManifest {
  text: string;
  signature: string;
  issuedAt: number;
  /** From here on it is renewed (half its lifetime); it is still handed out while the renewal is signed. */
  renewAt: number;
  /** Until here it may be handed out at all (three quarters of its lifetime): a device gets at least a quarter. */
  usableUntil: number;
  /** The end of the answer after `{"resources":[…]`: `,"manifest":…,"manifestSignature":…,"keyFingerprint":…}`. */
  tail: Buffer;
}

interface Entry {
  current?: SignedManifest;
  pending?: Promise<SignedManifest>;
}

/** Distinct manifests kept: a host app has one per answer shape (during a rollout, one per mix of versions). */
export const MAX_MANIFESTS = 4096;

/**
 * Signed manifests by content. The gate never makes an RSA signature per request: a manifest is signed once for each
 * distinct content (host app, generation, resources, revoked keys, signing key), then handed out until half its
 * lifetime has passed; then it is signed again (the old one is still handed out meanwhile). Requests that find none
 * wait for one signature together. A host app's manifests of a generation go once one of a newer generation is
 * asked for (every change to what a host app serves raises its generation, so they are not asked for again; a view
 * read before the change keeps the answers it made). At most MAX_MANIFESTS are kept, the oldest dropped first.
 */
export class ManifestCache {
  private readonly entries = new Map<string, Entry>();
  /** Per host app, the newest generation asked for and the contents kept of it (at most MAX_MANIFESTS host apps). */
  private readonly newest = new Map<string, { generation: number; keys: Set<string> }>();
  /** Signatures made (for the tests and the metrics). */
  signatures = 0;
  /** Told about a renewal that failed (the old manifest is handed out until it is no longer usable). */
  onError: (err: unknown) => void = () => {};

  constructor(
    private readonly signer: ManifestSigner,
    readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  /** A usable signed manifest of this content, at once, or undefined (then `get`). Starts a renewal when one is due. */
  peek(content: ManifestContent, key: ManifestKey): SignedManifest | undefined {
    const entry = this.entries.get(content.key);
    const current = entry?.current;
    if (!current) return undefined;
    const now = this.clock();
    if (now < current.renewAt) return current;
    if (!entry.pending) this.sign(entry, content, key).catch(this.onError);
    return now < current.usableUntil ? current : undefined;
  }

  /** A usable signed manifest of this content: the one kept, or one signed now (once, for every request waiting). */
  get(content: ManifestContent, key: ManifestKey): Promise<SignedManifest> | SignedManifest {
    const ready = this.peek(content, key);
    if (ready) return ready;
    let entry = this.entries.get(content.key);
    if (!entry) {
      this.keep(content, key);
      if (this.entries.size >= MAX_MANIFESTS) this.entries.delete(this.entries.keys().next().value!);
      entry = {};
      this.entries.set(content.key, entry);
    }
    return entry.pending ?? this.sign(entry, content, key);
  }

  /** Drops every kept manifest (tests; a key retired: its manifests are no longer wanted). */
  clear() {
    this.entries.clear();
    this.newest.clear();
  }

  /** Notes a new content of a host app; one of a newer generation drops the kept manifests of the older one. */
  private keep(content: ManifestContent, key: ManifestKey) {
    const hostApp = `${key.workspaceId}\n${key.appId}`;
    const newest = this.newest.get(hostApp);
    if (newest && newest.generation === content.generation) newest.keys.add(content.key);
    else if (!newest || newest.generation < content.generation) {
      for (const k of newest?.keys ?? []) this.entries.delete(k);
      this.newest.delete(hostApp);
      if (this.newest.size >= MAX_MANIFESTS) this.newest.delete(this.newest.keys().next().value!);
      this.newest.set(hostApp, { generation: content.generation, keys: new Set([content.key]) });
    }
    // An older generation (a view read before the change, still answering) is kept until the oldest are dropped.
  }

  get size() {
    return this.entries.size;
  }

  private sign(entry: Entry, content: ManifestContent, key: ManifestKey): Promise<SignedManifest> {
    const issuedAt = this.clock();
    const text = manifestText(content, issuedAt, this.ttlMs);
    this.signatures++;
    const pending = this.signer.sign(key, text).then(
      (signature) => {
        const signed: SignedManifest = {
          text,
          signature,
          issuedAt,
          renewAt: issuedAt + this.ttlMs / 2,
          usableUntil: issuedAt + (this.ttlMs * 3) / 4,
          tail: keptBytes(
            `,"manifest":${JSON.stringify(text)},"manifestSignature":${JSON.stringify(signature)},"keyFingerprint":${JSON.stringify(key.keyFingerprint)}}`,
          ),
        };
        entry.current = signed;
        entry.pending = undefined;
        return signed;
      },
      (err: unknown) => {
        entry.pending = undefined;
        throw err;
      },
    );
    entry.pending = pending;
    return pending;
  }
}
