import { createHash } from 'node:crypto';
import type { CachedKey, SigningPool } from './signing-pool.js';

/**
 * What a signature is made over, as its SHA-256: a package by the hash known since its upload (the file is never
 * read again, wherever the store keeps it), a short text hashed here.
 */
export type SignInput = { sha256: string } | { text: string };

/**
 * The one place that makes an RSA signature: RSASSA-PKCS1-v1_5 with SHA-256, base64, as host apps verify it
 * (`crypto.verify('sha256', …)`, `SHA256withRSA`). The RSA work runs in the signing pool's worker threads; a key
 * given as a `CachedKey` is opened and parsed once per worker and kept there.
 */
export function rsaSha256Sign(pool: SigningPool, privateKey: string | CachedKey, input: SignInput): Promise<string> {
  const digest = 'sha256' in input ? Buffer.from(input.sha256, 'hex') : createHash('sha256').update(input.text, 'utf8').digest();
  return pool.sign(privateKey, digest);
}

/**
 * The text a binding signature covers: it ties a package (by SHA-256) to one host app, mini program and version, so
 * a client that checks it cannot be handed another mini program's or host app's package, or an older one under a
 * newer version. Lines joined by `\n`, no trailing newline.
 */
export const bindingText = (b: { workspaceId: string; appId: string; miniProgramId: string; version: string; sha256: string }) =>
  ['mpop-binding-v1', b.workspaceId, b.appId, b.miniProgramId, b.version, b.sha256].join('\n');
