import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PRIVATE_KEY_MAX_BYTES } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { sha256Hex } from '../../lib/crypto.js';

export interface InspectedKey {
  privateKey: KeyObject;
  /** Normalised PKCS#8 PEM: what is sealed and stored. */
  pkcs8Pem: string;
  bits: number;
  format: 'pkcs1' | 'pkcs8';
  fingerprintSha256: string;
  publicKeyPem: string;
}

const MIN_BITS = 2048;
/** Larger keys buy no security that matters here, and signing with them is slow enough to be an attack. */
const MAX_BITS = 8192;
/** The smallest public exponent accepted: e = 3 (and other small ones) invites well-known attacks on RSA. */
const MIN_PUBLIC_EXPONENT = 65537n;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

// Every key problem names the form field, so a client can show it next to the file it concerns.
const fail = (code: ConstructorParameters<typeof AppError>[0], detail: string) =>
  new AppError(code, detail, { errors: [{ path: 'privateKey', message: detail }] });
const invalid = (why: string) =>
  fail('INVALID_PRIVATE_KEY', `${why} Upload the PEM file that "openssl genrsa -out private_key.pem 2048" writes.`);

/** The one answer to a key file over PRIVATE_KEY_MAX_BYTES, from the upload parser or from here. */
export const privateKeyTooLarge = () =>
  fail('PAYLOAD_TOO_LARGE', 'The private key file is larger than 16 KiB; an RSA private key PEM is about 2-4 KiB.');

/**
 * Checks an uploaded private key file and describes it (the rules are in docs/api.md, "Development configuration"). Throws an AppError with the contract's code;
 * no message ever quotes the file's contents.
 */
export function inspectPrivateKey(file: Buffer): InspectedKey {
  if (file.length > PRIVATE_KEY_MAX_BYTES) throw privateKeyTooLarge();
  if (file.length === 0) throw invalid('The private key file is empty.');
  const text = file.toString('utf8');
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
  if (blocks.length === 0) throw invalid('The file is not a PEM file (no "-----BEGIN ...-----" block was found).');

  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length > 1) {
    throw invalid(
      `The file holds ${keys.length} private keys; which one to use would be a guess. Upload a file with exactly one private key.`,
    );
  }
  const key = keys[0];
  if (!key) {
    const what = blocks[0].label.includes('CERTIFICATE')
      ? 'a certificate'
      : blocks[0].label.includes('PUBLIC KEY')
        ? 'a public key'
        : `a "${blocks[0].label}" block`;
    throw fail(
      'NOT_A_PRIVATE_KEY',
      `The file holds ${what}, not a private key. Upload the private key; the platform derives the public key from it.`,
    );
  }
  if (key.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,\s*ENCRYPTED/i.test(key.pem)) {
    throw fail(
      'ENCRYPTED_PRIVATE_KEY',
      'The private key is protected by a passphrase. Remove it first (openssl rsa -in key.pem -out key-plain.pem) and upload the result.',
    );
  }
  if (key.label === 'EC PRIVATE KEY' || key.label === 'DSA PRIVATE KEY') {
    throw unsupported(key.label.split(' ')[0]);
  }
  if (key.label !== 'RSA PRIVATE KEY' && key.label !== 'PRIVATE KEY') {
    throw invalid(`"${key.label}" is not a supported format; use PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY").`);
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: key.pem, format: 'pem' });
  } catch (err) {
    if (/passphrase/i.test((err as Error).message)) {
      throw fail('ENCRYPTED_PRIVATE_KEY', 'The private key is protected by a passphrase. Remove it first and upload the result.');
    }
    throw invalid('The private key could not be read: the PEM is damaged or truncated.');
  }

  const type = privateKey.asymmetricKeyType;
  if (type !== 'rsa') throw unsupported(type === 'rsa-pss' ? 'RSA-PSS' : (type ?? 'unknown').toUpperCase());
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS) {
    throw fail(
      'KEY_TOO_WEAK',
      `The RSA key has ${bits} bits; at least ${MIN_BITS} are required. Make a new one with: openssl genrsa -out private_key.pem 2048`,
    );
  }

  if (bits > MAX_BITS) {
    throw invalid(`The RSA key has ${bits} bits; at most ${MAX_BITS} are accepted (2048 to 4096 is usual).`);
  }
  const exponent = privateKey.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (exponent < MIN_PUBLIC_EXPONENT) {
    throw fail(
      'KEY_TOO_WEAK',
      `The RSA key's public exponent is ${exponent}; at least ${MIN_PUBLIC_EXPONENT} is required. Make a new key with: openssl genrsa -out private_key.pem 2048`,
    );
  }

  const publicKey = createPublicKey(privateKey);
  // A key whose parts do not belong together parses but cannot sign verifiably: catch it now, not at run time.
  const probe = Buffer.from('mpop key check');
  let verifies = false;
  try {
    verifies = verify('sha256', probe, publicKey, sign('sha256', probe, privateKey));
  } catch {
    // OpenSSL refuses to sign with some broken parts (ERR_OSSL_BN_NO_INVERSE): the same answer as a bad signature.
  }
  if (!verifies) throw invalid('The private key is inconsistent (a signature made with it does not verify).');
  return {
    privateKey,
    pkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    bits,
    format: key.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'pkcs8',
    fingerprintSha256: sha256Hex(publicKey.export({ type: 'spki', format: 'der' })),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

const unsupported = (type: string) =>
  fail(
    'UNSUPPORTED_KEY_TYPE',
    `The key is a ${type} key; host apps verify packages with RSA. Upload an RSA private key of 2048 bits or more.`,
  );
