import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { META, MetaRepository } from './meta.repository.js';
import { keyAad, SecretBox } from '../../lib/crypto.js';

/** The master key and where it came from: the messages about it must name the place the operator can fix. */
export interface MasterKey {
  key: Buffer;
  /** `MPOP_MASTER_KEY`, or the path of the key file. */
  source: 'MPOP_MASTER_KEY' | string;
  /** True when this call generated the key file (the first start of an installation). */
  generated: boolean;
}

/** A refusal to run with the master key at hand; the message says what to set. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export const masterKeyFile = (dataDir: string) => path.join(dataDir, 'master.key');
import { ensurePrivateDir } from '../../lib/private-files.js';

/**
 * The master key that seals private keys at rest: MPOP_MASTER_KEY when set, otherwise `<dataDir>/master.key`,
 * generated once when `generate` (mode 0600, created exclusively so two starting processes cannot write different
 * keys). The admin commands pass `generate: false`: they must never invent a key.
 */
export function resolveMasterKey(dataDir: string, fromEnv?: string, { generate = true } = {}): MasterKey {
  if (fromEnv) return { key: Buffer.from(fromEnv, 'base64'), source: 'MPOP_MASTER_KEY', generated: false };
  const file = masterKeyFile(dataDir);
  let generated = false;
  if (generate) {
    ensurePrivateDir(dataDir);
    generated = createKeyFile(file, `${randomBytes(32).toString('base64')}\n`);
  } else if (!fs.existsSync(file)) {
    throw new MasterKeyError(
      `No master key: set MPOP_MASTER_KEY to the installation's key (base64 of 32 bytes), or put its file at ${file}.`,
    );
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new MasterKeyError(`${file} does not hold the base64 of 32 bytes; restore it from your backup, or set MPOP_MASTER_KEY.`);
  }
  return { key, source: file, generated };
}

/** File systems without hard links answer a link with one of these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * Puts a new key file in place unless one exists: written whole under another name, then linked into place (a link
 * fails if the file exists), so a process starting beside this one (MPOP_WORKERS) reads either no file or the whole
 * key, never an empty one. @returns whether this call made it (false: another process had).
 */
function createKeyFile(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.new`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code ?? '')) throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // A file system without hard links: created exclusively and written in one call instead.
  try {
    fs.writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/** Writes a key file atomically (a crash leaves the old file or the new one, never half of one). */
export function writeMasterKeyFile(file: string, key: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${key.toString('base64')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

const CHECK_PLAINTEXT = Buffer.from('mpop master key check v1');
const CHECK_AAD = 'mpop:master-key-check:v1';

/** The check value of a key: a constant sealed with it. Only the same key opens it (AES-GCM authenticates). */
export const sealCheck = (box: SecretBox): string => box.seal(CHECK_PLAINTEXT, CHECK_AAD);

export function opensCheck(box: SecretBox, sealed: string): boolean {
  try {
    return box.open(sealed, CHECK_AAD).equals(CHECK_PLAINTEXT);
  } catch {
    return false;
  }
}

/** Whether a sealed private key opens with the box (used for data stored before check values existed). */
export function opensPrivateKey(box: SecretBox, sealed: string, workspaceId: string, appId: string): boolean {
  try {
    box.open(sealed, keyAad(workspaceId, appId));
    return true;
  } catch {
    return false;
  }
}

const where = (mk: MasterKey) => (mk.source === 'MPOP_MASTER_KEY' ? 'MPOP_MASTER_KEY' : `the key file ${mk.source}`);

export function wrongKeyMessage(mk: MasterKey, dataDir: string): string {
  return (
    `The master key from ${where(mk)} is not the key this installation's data was sealed with, so its private keys cannot be used. ` +
    `Start with the key used before: set MPOP_MASTER_KEY to it, or put its file back at ${masterKeyFile(dataDir)} (from your backup). ` +
    'To change the key, use: mpop admin rotate-master-key.'
  );
}

/**
 * Makes sure the master key is the one the data was sealed with, before the server seals anything with it: the
 * database keeps a check value of the key (made on the first start). A start with another key is refused with a
 * message naming MPOP_MASTER_KEY and the key file; a key generated by this very start is removed again, so the
 * operator can put the right one in its place.
 */
export async function verifyMasterKey(db: Kysely<Database>, mk: MasterKey, dataDir: string): Promise<void> {
  const box = new SecretBox(mk.key);
  const meta = new MetaRepository(db);
  const refuse = (message: string): never => {
    if (mk.generated) fs.rmSync(mk.source, { force: true });
    throw new MasterKeyError(message);
  };
  const pending = await meta.get(META.masterKeyNextCheck);
  if (pending) {
    refuse(
      'A master key rotation was interrupted; finish it before starting the server: run `mpop admin rotate-master-key` again ' +
        `with the old key (MPOP_MASTER_KEY or ${masterKeyFile(dataDir)}) and MPOP_NEW_MASTER_KEY set to the new key. No key has been lost.`,
    );
  }
  let check = await meta.get(META.masterKeyCheck);
  // A check value this key opens was written with it: by another process of this very start (MPOP_WORKERS) that read
  // the key this one generated.
  if (check && mk.generated && !opensCheck(box, check)) {
    // A data dir restored (or copied) without its key: say that the key is missing, not that a file this very start
    // made (and removes again) holds the wrong one.
    refuse(
      `No master key: this installation's data was sealed with a master key, and neither MPOP_MASTER_KEY nor ${mk.source} holds it. ` +
        `Set MPOP_MASTER_KEY to the installation's key (base64 of 32 bytes), or put its file back at ${mk.source} (from your backup).`,
    );
  }
  if (!check) {
    // Data from before check values existed: the key must open what is stored.
    const sample = await meta.anySealedPrivateKey();
    if (sample && !opensPrivateKey(box, sample.sealed, sample.workspaceId, sample.appId)) refuse(wrongKeyMessage(mk, dataDir));
    await meta.insertIfAbsent(META.masterKeyCheck, sealCheck(box));
    check = await meta.get(META.masterKeyCheck); // another process may have written its own first
  }
  if (!check || !opensCheck(box, check)) refuse(wrongKeyMessage(mk, dataDir));
}
