import { MpopError } from './errors.js';
import type { MpopConfig, Resource } from './types.js';
import { sha256Hex } from './verify.js';

/**
 * Release signatures: made by the mini program's organisation with a key the server never holds, over the UTF-8
 * text `mpop-release-v1\n<miniProgramId>\n<version>\n<sha256>`. Ed25519, or RSA (RSASSA-PKCS1-v1_5 with SHA-256),
 * checked with WebCrypto against the config file's `releaseKeys`.
 */
export const releaseMessage = (r: Pick<Resource, 'miniProgramId' | 'version' | 'sha256'>) =>
  ['mpop-release-v1', r.miniProgramId, r.version, r.sha256.toLowerCase()].join('\n');

type ReleaseKeyEntry = NonNullable<MpopConfig['releaseKeys']>[number];
interface ImportedKey {
  key: CryptoKey;
  algorithm: AlgorithmIdentifier;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

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

const refuse = (r: Resource, why: string) => new MpopError('RELEASE_SIGNATURE', `${r.miniProgramId} ${r.version} is refused: ${why}`);

/**
 * The release check of `download()`. With `required`, a package without a valid release signature by a key of
 * `config.releaseKeys` is refused. Without it, a package that carries a signature by a listed key must still
 * verify (a bad one is always refused); one signed with a key this build does not list, or unsigned, passes.
 */
export class ReleaseCheck {
  private readonly keys = new Map<string, Promise<ImportedKey>>();

  constructor(
    private readonly releaseKeys: readonly ReleaseKeyEntry[],
    private readonly required: boolean,
  ) {}

  async check(r: Resource): Promise<void> {
    if (!r.releaseSignature || !r.releaseKeyFingerprint) {
      if (this.required) throw refuse(r, 'it carries no release signature, and this app runs only packages their organisation signed.');
      return;
    }
    const entry = this.releaseKeys.find((k) => k.fingerprintSha256.toLowerCase() === r.releaseKeyFingerprint!.toLowerCase());
    if (!entry) {
      if (this.required) {
        throw refuse(
          r,
          `it is signed with the release key ${r.releaseKeyFingerprint}, which the config file does not list; download the config file again after a release key is added.`,
        );
      }
      return;
    }
    const { key, algorithm } = await this.imported(entry);
    const signature = base64ToBytes(r.releaseSignature);
    const data = new TextEncoder().encode(releaseMessage(r));
    const valid =
      signature !== undefined &&
      signature.length > 0 &&
      (await globalThis.crypto.subtle.verify(algorithm, key, signature, data).catch(() => false));
    if (!valid) throw refuse(r, `its release signature does not verify with the release key ${entry.fingerprintSha256}.`);
  }

  private imported(entry: ReleaseKeyEntry): Promise<ImportedKey> {
    let key = this.keys.get(entry.fingerprintSha256);
    if (!key) {
      key = importReleaseKey(entry);
      this.keys.set(entry.fingerprintSha256, key);
    }
    return key;
  }
}

/** Imports an SPKI PEM as Ed25519 or, failing that, RSA; checked against its fingerprint. */
async function importReleaseKey(entry: ReleaseKeyEntry): Promise<ImportedKey> {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(entry.pem);
  const der = m ? base64ToBytes(m[1]) : undefined;
  if (!der)
    throw new MpopError(
      'INVALID_CONFIG',
      `The config file's release key ${entry.fingerprintSha256} is not an SPKI PEM ("BEGIN PUBLIC KEY").`,
    );
  if ((await sha256Hex(der)) !== entry.fingerprintSha256.toLowerCase()) {
    throw new MpopError('INVALID_CONFIG', `The config file's release key does not match its fingerprint ${entry.fingerprintSha256}.`);
  }
  const subtle = globalThis.crypto.subtle;
  for (const algorithm of [{ name: 'Ed25519' }, RSA] as const) {
    try {
      return { key: await subtle.importKey('spki', der, algorithm, false, ['verify']), algorithm };
    } catch {
      // not this kind of key: try the next
    }
  }
  throw new MpopError(
    'INVALID_CONFIG',
    `The config file's release key ${entry.fingerprintSha256} is neither Ed25519 nor RSA, or this runtime's WebCrypto cannot verify it.`,
  );
}
