import { keyAad, type SecretBox } from '../../lib/crypto.js';
import type { ManifestKey, ManifestSigner } from '../gate/manifest-cache.js';
import { hostAppKeyId, rsaSha256Sign } from './rsa-sign.js';
import type { SigningPool } from './signing-pool.js';

/**
 * Signs manifests with the host app's key, the RSA work in the signing pool's worker threads, so the event loop (the
 * gate) never waits for it. The key is the one the threads keep parsed for the host app's package and binding
 * signatures: it is opened with the master key (AES-GCM, microseconds) and parsed only by a thread that does not
 * hold it yet, not for every manifest (a parse costs half a signature, and each left a key object behind).
 */
export class PoolManifestSigner implements ManifestSigner {
  constructor(
    private readonly box: SecretBox,
    private readonly pool: SigningPool,
  ) {}

  async sign(key: ManifestKey, text: string): Promise<string> {
    const open = () => this.box.open(key.privateKeySealed, keyAad(key.workspaceId, key.appId)).toString('utf8');
    return rsaSha256Sign(this.pool, { id: hostAppKeyId(key.hostAppId, key.keyFingerprint), open }, { text });
  }
}
