import type { Config } from '../../config.js';
import { LocalPackageStore } from './local-package-store.js';
import type { PackageStore } from './package-store.js';

/** The store the configuration names. The S3 client is loaded only when it is used. */
export async function openPackageStore(config: Config): Promise<PackageStore> {
  const c = config.packageStore;
  if (c.kind === 'local') return new LocalPackageStore(c.dir);
  const { S3PackageStore } = await import('./s3-package-store.js');
  return new S3PackageStore(c);
}
