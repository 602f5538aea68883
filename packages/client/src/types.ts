/** The config file (`mpop-<appId>.json`) downloaded from the console and built into the host app. No secret is in it. */
export interface MpopConfig {
  appId: string;
  workspaceId: string;
  tenantId: string;
  name: string;
  /** Base of the client API, such as `https://mpop.example.com/client/v1`. */
  gatewayUrl: string;
  virtualDomain: string;
  /** Keys that may sign this host app's packages: the current one first, then recently replaced ones. */
  publicKeys: { fingerprintSha256: string; pem: string }[];
  /**
   * The release keys of the organisations whose mini programs this host app may load: packages signed with one of
   * these were signed by their organisation, with a key the server never holds.
   */
  releaseKeys?: { orgId: string; fingerprintSha256: string; pem: string }[];
}

export type Platform = 'android' | 'ios' | 'harmony';

/** One package the gate allows this host app to load (an entry of `POST /client/v1/resources`). */
export interface Resource {
  miniProgramId: string;
  version: string;
  packageUrl: string;
  /** Hex SHA-256 of the package bytes. */
  sha256: string;
  size: number;
  /** Base64 RSASSA-PKCS1-v1_5 / SHA-256 over the package bytes. */
  signature: string;
  /**
   * Base64 RSASSA-PKCS1-v1_5 / SHA-256 over `mpop-binding-v1\n<workspaceId>\n<appId>\n<miniProgramId>\n<version>\n<sha256>`:
   * binds these bytes to this host app, mini program and version.
   */
  bindingSignature: string;
  /** Hex SHA-256 of the SPKI DER of the key that made both signatures. */
  keyFingerprint: string;
  vhost: string;
  mainUrl: string;
  /** Set by the operator on a release: the host app should load this version before opening the mini program. */
  mandatory?: boolean;
  /** Base64 signature by the organisation's release key over `mpop-release-v1\n<miniProgramId>\n<version>\n<sha256>`. */
  releaseSignature?: string;
  /** The fingerprint of the release key that made `releaseSignature` (one of the config file's `releaseKeys`). */
  releaseKeyFingerprint?: string;
  /**
   * Offered when `resources()` named the version this device has and a patch from it exists: `download(resource,
   * { current })` uses it.
   */
  patch?: ResourcePatch;
}

/** A patch from the package of `fromVersion` (whose SHA-256 is `fromSha256`) to the resource's package. */
export interface ResourcePatch {
  fromVersion: string;
  fromSha256: string;
  /** `mpop-patch-v1` (fossil deltas per chunk of the package); a patch of another format is not applied. */
  format: 'mpop-patch-v1';
  url: string;
  sha256: string;
  size: number;
}

export type EventType = 'download' | 'verified' | 'launch' | 'failure';

export interface ClientEvent {
  type: EventType;
  miniProgramId: string;
  version: string;
  /** When it happened (ISO 8601); filled in with the current time when left out. */
  at?: string;
  /**
   * For a failure: `{ reason }`, why in a few words (at most 200 characters; adoption counts failures by it, and a
   * release's autopilot judges its failure rate from them), or a sentence (at most 1,024 characters). For a download:
   * whether it was rebuilt from a patch and the bytes that saved (`download()` sets it when the gate offered a patch).
   */
  detail?: { reason?: string } | DownloadDetail | string;
}

export interface DownloadDetail {
  patch: boolean;
  bytesSaved?: number;
}

export interface DownloadOptions {
  /**
   * The bytes of the package this device has: the version it named to `resources()`. When the gate offered a patch
   * from them, the new package is rebuilt from these bytes and the (much smaller) patch; anything that does not
   * check out falls back to the full download.
   */
  current?: Uint8Array;
}
