import { MpopError } from './errors.js';
import type { MpopConfig, Resource } from './types.js';

/**
 * Signature checks with WebCrypto (`globalThis.crypto.subtle`: browsers in a secure context, Node 20 and later),
 * so the same code runs in both.
 */
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s)
    throw new MpopError('INVALID_CONFIG', 'WebCrypto (crypto.subtle) is not available: use Node 20 or later, or a page served over https.');
  return s;
};

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const bin = atob(b64.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** The DER of an SPKI PEM ("BEGIN PUBLIC KEY"). */
function pemToDer(pem: string): Uint8Array<ArrayBuffer> | undefined {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem);
  return m ? base64ToBytes(m[1]) : undefined;
}

/** The exact text the binding signature covers (lines joined by `\n`, no trailing newline). */
export const bindingMessage = (
  config: Pick<MpopConfig, 'workspaceId' | 'appId'>,
  r: Pick<Resource, 'miniProgramId' | 'version' | 'sha256'>,
) => ['mpop-binding-v1', config.workspaceId, config.appId, r.miniProgramId, r.version, r.sha256].join('\n');

/** The config's public keys, imported once and checked against their fingerprints. */
export class KeyRing {
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly publicKeys: MpopConfig['publicKeys']) {}

  /** The key with this fingerprint; PACKAGE_SIGNATURE when the config does not list it. */
  get(fingerprint: string): Promise<CryptoKey> {
    let key = this.keys.get(fingerprint);
    if (!key) {
      const entry = this.publicKeys.find((k) => k.fingerprintSha256.toLowerCase() === fingerprint.toLowerCase());
      if (!entry) {
        return Promise.reject(
          new MpopError(
            'PACKAGE_SIGNATURE',
            `The package is signed with key ${fingerprint}, which the config file does not list; download the config file again after a key rotation.`,
          ),
        );
      }
      key = importKey(entry);
      this.keys.set(fingerprint, key);
    }
    return key;
  }
}

async function importKey(entry: { fingerprintSha256: string; pem: string }): Promise<CryptoKey> {
  const der = pemToDer(entry.pem);
  if (!der)
    throw new MpopError('INVALID_CONFIG', `The config file's key ${entry.fingerprintSha256} is not an SPKI PEM ("BEGIN PUBLIC KEY").`);
  if ((await sha256Hex(der)) !== entry.fingerprintSha256.toLowerCase()) {
    throw new MpopError('INVALID_CONFIG', `The config file's key does not match its fingerprint ${entry.fingerprintSha256}.`);
  }
  try {
    return await subtle().importKey('spki', der, RSA, false, ['verify']);
  } catch {
    throw new MpopError('INVALID_CONFIG', `The config file's key ${entry.fingerprintSha256} is not an RSA public key.`);
  }
}

/** Whether a base64 RSASSA-PKCS1-v1_5 / SHA-256 signature over `data` verifies with `key`. */
export async function verifySignature(key: CryptoKey, signatureB64: string | undefined, data: Uint8Array): Promise<boolean> {
  const signature = signatureB64 ? base64ToBytes(signatureB64) : undefined;
  if (!signature || signature.length === 0) return false;
  return subtle().verify(RSA, key, signature, data as Uint8Array<ArrayBuffer>);
}
