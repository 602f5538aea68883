/**
 * `@mpop/client`: the host app side of mpop, for Node 20+ and browsers (fetch and WebCrypto only).
 * The Node-only directory cache is in `@mpop/client/node`.
 */
export { MpopClient, type MpopClientOptions } from './client.js';
export { MpopError, type ClientErrorCode } from './errors.js';
export { MemoryCache, type PackageCache } from './cache.js';
export { defaultStore, LocalStorageStore, MemoryStore, type StateStore } from './store.js';
export { MANIFEST_CLOCK_SKEW_MS, type GateAnswer, type Manifest, type ManifestEntry } from './manifest.js';
export type { RetryOptions } from './http.js';
export { bindingMessage } from './verify.js';
export { applyPatch, applyPatchAsync, PATCH_FORMAT, PatchError, type PatchHeader, readPatchHeader } from './patch.js';
export { releaseMessage } from './release-signature.js';
export type {
  ClientEvent,
  DownloadDetail,
  DownloadOptions,
  EventType,
  MpopConfig,
  Platform,
  Resource,
  ResourcePatch,
} from './types.js';
