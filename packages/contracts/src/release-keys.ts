import { type Static, Type } from 'typebox';
import { OrgIdSchema } from './auth.js';
import { TimestampSchema } from './common.js';

/**
 * Release keys: public keys an organisation registers so that every package of its mini programs carries a
 * signature made with a private key the server never holds. A host app built with these keys runs no code the
 * organisation did not sign, even from a server whose database and master key were stolen.
 */

/** The longest PEM accepted when a release key is registered (a public key PEM is well under 1 KiB). */
export const RELEASE_KEY_PEM_MAX = 16 * 1024;
/** The longest `releaseSignature` accepted: base64 of an RSA 8192 signature is 1,368 characters, Ed25519's 88. */
export const RELEASE_SIGNATURE_MAX = 2048;
/** First line of the text a release signature covers. */
export const RELEASE_MESSAGE_TYPE = 'mpop-release-v1';

/**
 * The exact UTF-8 text a release signature covers: `mpop-release-v1\n<miniProgramId>\n<version>\n<sha256>` (no
 * trailing newline; `sha256` is the lower-case hex SHA-256 of the package file).
 */
export const releaseMessage = (miniProgramId: string, version: string, sha256: string): string =>
  [RELEASE_MESSAGE_TYPE, miniProgramId, version, sha256.toLowerCase()].join('\n');

export const ReleaseKeyAlgorithmSchema = Type.Union([Type.Literal('Ed25519'), Type.Literal('RSA')]);
export type ReleaseKeyAlgorithm = Static<typeof ReleaseKeyAlgorithmSchema>;

export const FINGERPRINT_PATTERN = '^[0-9a-f]{64}$';

/** A registered release key (only its public half ever reaches the platform). */
export const ReleaseKeySchema = Type.Object({
  /** Hex SHA-256 of the public key's SPKI DER (`openssl pkey -pubin -in key.pub -outform DER | sha256sum`). */
  fingerprintSha256: Type.String({ pattern: FINGERPRINT_PATTERN }),
  /** `Ed25519` (signatures over the text itself) or `RSA` (RSASSA-PKCS1-v1_5 with SHA-256). */
  algorithm: ReleaseKeyAlgorithmSchema,
  /** Key size: the RSA modulus length, 256 for Ed25519. */
  bits: Type.Integer(),
  /** The public key as SPKI PEM ("BEGIN PUBLIC KEY"), normalised. */
  publicKeyPem: Type.String(),
  createdAt: TimestampSchema,
  createdBy: Type.String(),
});
export type ReleaseKey = Static<typeof ReleaseKeySchema>;
export const ReleaseKeyListSchema = Type.Object({ items: Type.Array(ReleaseKeySchema) });
export type ReleaseKeyList = Static<typeof ReleaseKeyListSchema>;

/** `POST /api/v1/organisations/{orgId}/release-keys`: a public key PEM (SPKI, or PKCS#1 "RSA PUBLIC KEY"). */
export const CreateReleaseKeyBodySchema = Type.Object(
  {
    pem: Type.String({
      minLength: 1,
      maxLength: RELEASE_KEY_PEM_MAX,
      description: 'A public key PEM: Ed25519, or RSA of 2048 to 8192 bits. A private key is refused (and never stored or echoed).',
    }),
  },
  { additionalProperties: false },
);
export type CreateReleaseKeyBody = Static<typeof CreateReleaseKeyBodySchema>;

export const ReleaseKeyParamsSchema = Type.Object({
  orgId: OrgIdSchema,
  fingerprint: Type.String({ pattern: FINGERPRINT_PATTERN, description: 'the key’s fingerprintSha256' }),
});

/** The release key a package version was signed with at upload, and whether its organisation still lists it. */
export const PackageReleaseKeySchema = Type.Object({
  fingerprintSha256: Type.String({ pattern: FINGERPRINT_PATTERN }),
  /** false once the key was removed: host apps built with the current keys refuse this version. */
  registered: Type.Boolean(),
});
export type PackageReleaseKey = Static<typeof PackageReleaseKeySchema>;

/** One release key of the config file: host apps check release signatures against these. */
export const ConfigReleaseKeySchema = Type.Object({
  orgId: Type.String(),
  fingerprintSha256: Type.String({ pattern: FINGERPRINT_PATTERN }),
  pem: Type.String({ description: 'SPKI PEM ("BEGIN PUBLIC KEY")' }),
});
export type ConfigReleaseKey = Static<typeof ConfigReleaseKeySchema>;
