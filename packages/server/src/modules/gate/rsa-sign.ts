import fs from 'node:fs';
import { createSign, type KeyObject } from 'node:crypto';
import { pipeline } from 'node:stream/promises';

/** What a signature is made over: the bytes of a file (streamed, packages may be large) or a short UTF-8 text. */
export type SignInput = { file: string } | { text: string };

/**
 * The one place that makes an RSA signature: RSASSA-PKCS1-v1_5 with SHA-256, base64, as host apps verify it
 * (`crypto.verify('sha256', …)`, `SHA256withRSA`). Self-contained (a key and an input in, a string out) so that
 * it can move into a worker thread unchanged; a KeyObject can be posted to one.
 */
export async function rsaSha256Sign(privateKey: KeyObject, input: SignInput): Promise<string> {
  const signer = createSign('sha256');
  if ('file' in input) await pipeline(fs.createReadStream(input.file), signer);
  else signer.update(input.text, 'utf8');
  return signer.sign(privateKey, 'base64');
}

/**
 * The text a binding signature covers: it ties a package (by SHA-256) to one host app, mini program and version, so
 * a client that checks it cannot be handed another mini program's or host app's package, or an older one under a
 * newer version. Lines joined by `\n`, no trailing newline.
 */
export const bindingText = (b: { workspaceId: string; appId: string; miniProgramId: string; version: string; sha256: string }) =>
  ['mpop-binding-v1', b.workspaceId, b.appId, b.miniProgramId, b.version, b.sha256].join('\n');
