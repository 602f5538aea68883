/**
 * Codes of the client's own errors. API errors carry the server's problem code instead (HOST_APP_NOT_REGISTERED,
 * RATE_LIMITED, VALIDATION_FAILED, ...), or `HTTP_<status>` when the answer was not a problem document.
 */
export type ClientErrorCode =
  /** The package's size or SHA-256 is not what the gate announced. */
  | 'PACKAGE_INTEGRITY'
  /** The package signature or the binding signature does not verify, or the key fingerprint is not in the config. */
  | 'PACKAGE_SIGNATURE'
  /**
   * The gate's answer carries no manifest, its signature does not verify with a key of the config file, or the key
   * that signed it was retired (a manifest named it in `revokedKeys`).
   */
  | 'MANIFEST_SIGNATURE'
  /** The manifest's generation is below the highest this app accepted: an older answer replayed. */
  | 'MANIFEST_ROLLBACK'
  /** The manifest's `expiresAt` has passed (5 minutes of clock skew allowed): a frozen or replayed answer. */
  | 'MANIFEST_EXPIRED'
  /**
   * The answer and its manifest differ (a resource added, dropped or changed; another host app; a vhost other than the
   * config file's; a package URL that is not https), or `download()` was given a resource no accepted manifest names.
   */
  | 'MANIFEST_MISMATCH'
  /**
   * The release signature (made by the mini program's organisation) is missing while `requireReleaseSignature` is
   * set, made with a key the config file does not list, or does not verify.
   */
  | 'RELEASE_SIGNATURE'
  /** The server could not be reached (after the retries). */
  | 'NETWORK_ERROR'
  /** The server did not answer in time (after the retries). */
  | 'TIMEOUT'
  /** The config file is incomplete, or a listed fingerprint does not match its key. */
  | 'INVALID_CONFIG'
  /** An option given to `new MpopClient(...)` (not the config file) is wrong: `deviceId`, say. */
  | 'INVALID_OPTIONS';

/** Every error the client throws. Switch on `code`; `message` is for people. */
export class MpopError extends Error {
  constructor(
    readonly code: ClientErrorCode | (string & {}),
    message: string,
    /** HTTP status, for API errors. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MpopError';
  }
}
