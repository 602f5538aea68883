import { keyAad, type SecretBox } from '../../lib/crypto.js';
import type { ManifestKey, ManifestSigner } from '../gate/manifest-cache.js';
import { rsaSha256Sign } from './rsa-sign.js';
import type { SigningPool } from './signing-pool.js';

/**
 * Signs manifests with the host app's key: opened with the master key here (AES-GCM, microseconds), the RSA work in
 * the signing pool's worker threads, so the event loop (the gate) never waits for it.
 */
export class PoolManifestSigner implements ManifestSigner {
  constructor(
    private readonly box: SecretBox,
    private readonly pool: SigningPool,
  ) {}

  async sign(key: ManifestKey, text: string): Promise<string> {
    const pem = this.box.open(key.privateKeySealed, keyAad(key.workspaceId, key.appId)).toString('utf8');
    return rsaSha256Sign(this.pool, pem, { text });
  }
}
