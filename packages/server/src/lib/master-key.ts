import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir } from './private-files.js';

/**
 * The master key that seals private keys at rest: MPOP_MASTER_KEY when set, otherwise `<dataDir>/master.key`,
 * generated once (mode 0600, created exclusively so two starting processes cannot write different keys).
 */
export function resolveMasterKey(dataDir: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'base64');
  const file = path.join(dataDir, 'master.key');
  ensurePrivateDir(dataDir);
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold the base64 of 32 bytes; restore it from your backup.`);
  return key;
}
