import { keyAad, type SecretBox } from '../../lib/crypto.js';
import type { ManifestKey, ManifestSigner } from '../gate/manifest-cache.js';
import { rsaSha256Sign } from './rsa-sign.js';
import { type SigningPool, signingKeyId } from './signing-pool.js';

/**
 * Signs manifests with the host app's key, in the signing pool's worker threads, so the event loop (the gate) never
 * waits for the RSA work. The key is named as the package signer names it (host app and key fingerprint): a thread
 * that already holds it parsed (from the release's package and binding signatures, or an earlier manifest) signs
 * at once; only one that does not has it opened with the master key (AES-GCM, microseconds) and parsed (about as
 * dear as a signature).
 */
export class PoolManifestSigner implements ManifestSigner {
  constructor(
    private readonly box: SecretBox,
    private readonly pool: SigningPool,
  ) {}

  async sign(key: ManifestKey, text: string): Promise<string> {
    const cached = {
      id: signingKeyId(key.hostAppId, key.keyFingerprint),
      open: () => this.box.open(key.privateKeySealed, keyAad(key.workspaceId, key.appId)).toString('utf8'),
    };
    return rsaSha256Sign(this.pool, cached, { text });
  }
}
