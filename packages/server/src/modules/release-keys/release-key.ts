import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { RELEASE_KEY_PEM_MAX, type ReleaseKeyAlgorithm } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { sha256Hex } from '../../lib/crypto.js';

/** What the platform keeps of a registered release key (never anything private). */
export interface InspectedReleaseKey {
  algorithm: ReleaseKeyAlgorithm;
  bits: number;
  fingerprintSha256: string;
  /** SPKI PEM, normalised. */
  publicKeyPem: string;
}

const MIN_RSA_BITS = 2048;
/** As for host app keys: larger keys buy nothing that matters here, and verifying with them is slow enough to abuse. */
const MAX_RSA_BITS = 8192;
const MIN_PUBLIC_EXPONENT = 65537n;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
/** A private key in any PEM or OpenSSH form; matched on the label, so nothing of the key itself is read. */
const PRIVATE_LABEL = /PRIVATE KEY/;

const HOW_TO = 'openssl pkey -in release.key -pubout -out release.pub';

// Every problem names the field; no message ever quotes what was pasted.
const fail = (code: ConstructorParameters<typeof AppError>[0], detail: string) =>
  new AppError(code, detail, { errors: [{ path: 'pem', message: detail }] });
const invalid = (why: string) =>
  fail('RELEASE_KEY_INVALID', `${why} Paste the public key PEM ("BEGIN PUBLIC KEY") of an Ed25519 or RSA key, as "${HOW_TO}" writes it.`);

/**
 * Checks a pasted release key and describes it: an Ed25519 or RSA (2048 to 8192 bits) public key, SPKI ("BEGIN
 * PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY"). A private key is refused with RELEASE_KEY_PRIVATE before it is
 * parsed, and is never stored, logged or echoed.
 */
export function inspectReleaseKey(pem: string): InspectedReleaseKey {
  if (Buffer.byteLength(pem, 'utf8') > RELEASE_KEY_PEM_MAX) {
    throw fail('PAYLOAD_TOO_LARGE', 'The key is larger than 16 KiB; a public key PEM is well under 1 KiB.');
  }
  const blocks = [...pem.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
  // Checked before anything else, and on the whole text: a private key anywhere in it is refused as such.
  if (blocks.some((b) => PRIVATE_LABEL.test(b.label)) || /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw fail(
      'RELEASE_KEY_PRIVATE',
      `This is a private key, and it was not stored. Paste only the public key ("${HOW_TO}"); keep the private key offline, and if it was shared anywhere, make a new one.`,
    );
  }
  if (blocks.length === 0) throw invalid('The text is not a PEM key (no "-----BEGIN ...-----" block was found).');
  if (blocks.length > 1) throw invalid(`The text holds ${blocks.length} PEM blocks; register one key at a time.`);
  const [block] = blocks;
  if (block.label.includes('CERTIFICATE')) {
    throw invalid('This is a certificate, not a public key; extract its key with "openssl x509 -in cert.pem -pubkey -noout".');
  }
  if (block.label !== 'PUBLIC KEY' && block.label !== 'RSA PUBLIC KEY') throw invalid(`A "${block.label}" block is not a public key.`);

  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.pem, format: 'pem' });
  } catch {
    throw invalid('The public key could not be read: the PEM is damaged or truncated.');
  }
  const fingerprintSha256 = sha256Hex(key.export({ type: 'spki', format: 'der' }));
  const publicKeyPem = key.export({ type: 'spki', format: 'pem' }) as string;
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { algorithm: 'Ed25519', bits: 256, fingerprintSha256, publicKeyPem };
  if (type !== 'rsa') {
    throw fail(
      'UNSUPPORTED_KEY_TYPE',
      `The key is a ${type === 'rsa-pss' ? 'RSA-PSS' : (type ?? 'unknown').toUpperCase()} key; release keys are Ed25519 or RSA. Make one with "openssl genpkey -algorithm ed25519 -out release.key".`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw fail(
      'KEY_TOO_WEAK',
      `The RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required. Make a new one with "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out release.key", or use Ed25519.`,
    );
  }
  if (bits > MAX_RSA_BITS) throw invalid(`The RSA key has ${bits} bits; at most ${MAX_RSA_BITS} are accepted (2048 to 4096 is usual).`);
  if ((key.asymmetricKeyDetails?.publicExponent ?? 0n) < MIN_PUBLIC_EXPONENT) {
    throw fail('KEY_TOO_WEAK', `The RSA key's public exponent is below ${MIN_PUBLIC_EXPONENT}; make a new key.`);
  }
  return { algorithm: 'RSA', bits, fingerprintSha256, publicKeyPem };
}

/** Base64 (standard alphabet, whitespace allowed) to bytes; undefined for anything else. */
function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

/**
 * Whether `signatureB64` is a signature over the UTF-8 `message` by `key`: Ed25519 as is, RSA as
 * RSASSA-PKCS1-v1_5 with SHA-256. A malformed signature is simply not valid.
 */
export function verifyRelease(
  key: { algorithm: ReleaseKeyAlgorithm; publicKeyPem: string },
  message: string,
  signatureB64: string,
): boolean {
  const signature = decodeBase64(signatureB64);
  if (!signature) return false;
  try {
    return verify(key.algorithm === 'Ed25519' ? null : 'sha256', Buffer.from(message, 'utf8'), key.publicKeyPem, signature);
  } catch {
    return false;
  }
}
