import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { keyAad, SecretBox, webhookSecretAad } from '../../lib/crypto.js';
import { type MasterKey, MasterKeyError, masterKeyFile, opensCheck, sealCheck, writeMasterKeyFile } from './master-key.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { META, MetaRepository } from './meta.repository.js';
import { SealedKeysRepository } from './sealed-keys.repository.js';

export interface RotationSummary {
  /** Private keys sealed anew by this run (keys a previous, interrupted run already did are not counted). */
  resealed: number;
  /** Private keys already under the new key when this run started. */
  alreadyDone: number;
  /** The key file rewritten with the new key, when the old key came from one. */
  keyFile?: string;
  /** True when the rotation had already been completed: this run only finished the key file. */
  wasComplete: boolean;
}

export interface RotationOptions {
  /** Test hook: stop (and wait to be killed) after this many keys, to prove an interrupted rotation can be resumed. */
  pauseAfter?: number;
  onPause?: () => void;
  progress?: (message: string) => void;
}

function openWith(box: SecretBox, sealed: string, aad: string): Buffer | undefined {
  try {
    return box.open(sealed, aad);
  } catch {
    return undefined;
  }
}

/**
 * Re-seals every private key with a new master key so that no key is lost, however often it is interrupted:
 * 1. the check value of the new key is stored beside the current one (`master_key_next_check`), which also keeps
 *    the server from starting while the rotation is unfinished;
 * 2. each private key is opened (with the new key if an earlier run already did it, else with the old) and sealed
 *    with the new key, one row per transaction;
 * 3. only then the check value switches to the new key, in one transaction with the audit event;
 * 4. when the old key came from the key file, the file gets the new key (atomically).
 * Run again after an interruption at any step, with the same two keys, it carries on where it stopped.
 */
export async function rotateMasterKey(
  db: Kysely<Database>,
  current: MasterKey,
  newKeyBase64: string | undefined,
  dataDir: string,
  options: RotationOptions = {},
): Promise<RotationSummary> {
  const next = newKeyBase64 ? Buffer.from(newKeyBase64, 'base64') : Buffer.alloc(0);
  if (next.length !== 32) {
    throw new MasterKeyError('Set MPOP_NEW_MASTER_KEY to the new key: the base64 of 32 bytes (make one with: openssl rand -base64 32).');
  }
  if (next.equals(current.key))
    throw new MasterKeyError('MPOP_NEW_MASTER_KEY is the current master key; make a new one with: openssl rand -base64 32.');
  const oldBox = new SecretBox(current.key);
  const newBox = new SecretBox(next);
  const meta = new MetaRepository(db);
  const keyFile = current.source === 'MPOP_MASTER_KEY' ? undefined : current.source;
  const log = options.progress ?? (() => {});

  const check = await meta.get(META.masterKeyCheck);
  const pending = await meta.get(META.masterKeyNextCheck);
  if (check && !pending && opensCheck(newBox, check)) {
    // Done before, perhaps interrupted before the key file was rewritten.
    if (keyFile) writeMasterKeyFile(keyFile, next);
    return { resealed: 0, alreadyDone: 0, keyFile, wasComplete: true };
  }
  if (check && !opensCheck(oldBox, check)) {
    throw new MasterKeyError(
      `The current master key (from ${keyFile ?? 'MPOP_MASTER_KEY'}) is not this installation's key; set MPOP_MASTER_KEY to it, or put its file at ${masterKeyFile(dataDir)}.`,
    );
  }
  if (pending && !opensCheck(newBox, pending)) {
    throw new MasterKeyError(
      'An earlier rotation to another new key was interrupted, and some private keys are sealed with that key: run this again with MPOP_NEW_MASTER_KEY set to it.',
    );
  }
  if (!pending) await meta.set(META.masterKeyNextCheck, sealCheck(newBox));

  const keys = new SealedKeysRepository(db);
  let resealed = 0;
  let alreadyDone = 0;
  for (const row of await keys.list()) {
    const aad = keyAad(row.workspaceId, row.appId);
    if (openWith(newBox, row.sealed, aad)) {
      alreadyDone++;
      continue;
    }
    const plain = openWith(oldBox, row.sealed, aad);
    if (!plain) {
      throw new MasterKeyError(
        `The private key of host app ${row.appId} (workspace ${row.workspaceId}) opens with neither key; the rotation stopped and nothing was lost. ` +
          'Check that MPOP_MASTER_KEY is the current key and MPOP_NEW_MASTER_KEY the new one.',
      );
    }
    // Replaced only if unchanged since it was read; a key uploaded meanwhile (by a server left running) is caught
    // by the check below, and the next run seals it.
    if (await keys.reseal(row.hostAppId, row.sealed, newBox.seal(plain, aad))) resealed++;
    plain.fill(0);
    if (options.pauseAfter !== undefined && resealed === options.pauseAfter) {
      options.onPause?.();
      await new Promise(() => {}); // the test kills the process here
    }
  }
  // The webhooks' signing secrets, the same way (they are few, and not counted as keys).
  let webhookSecrets = 0;
  for (const row of await keys.listWebhookSecrets()) {
    const aad = webhookSecretAad(row.webhookId);
    webhookSecrets++;
    if (openWith(newBox, row.sealed, aad)) continue;
    const plain = openWith(oldBox, row.sealed, aad);
    if (!plain) {
      throw new MasterKeyError(
        `The signing secret of webhook ${row.webhookId} opens with neither key; the rotation stopped and nothing was lost. ` +
          'Check that MPOP_MASTER_KEY is the current key and MPOP_NEW_MASTER_KEY the new one.',
      );
    }
    await keys.resealWebhookSecret(row.webhookId, row.sealed, newBox.seal(plain, aad));
    plain.fill(0);
  }
  // Every key must open with the new key before the check value switches.
  for (const row of await keys.listWebhookSecrets()) {
    if (!openWith(newBox, row.sealed, webhookSecretAad(row.webhookId))) {
      throw new MasterKeyError(`A webhook was added during the rotation; run the rotation again to finish it.`);
    }
  }
  for (const row of await keys.list()) {
    if (!openWith(newBox, row.sealed, keyAad(row.workspaceId, row.appId))) {
      throw new MasterKeyError(
        `The private key of host app ${row.appId} changed during the rotation (a key was uploaded); run the rotation again to finish it.`,
      );
    }
  }
  await db.transaction().execute(async (trx) => {
    const m = new MetaRepository(trx);
    await m.set(META.masterKeyCheck, sealCheck(newBox));
    await m.delete(META.masterKeyNextCheck);
    await new AuditRepository(trx).record({
      actor: 'mpop admin',
      action: 'master-key.rotated',
      target: 'installation',
      details: { privateKeys: resealed + alreadyDone, ...(webhookSecrets ? { webhookSecrets } : {}) },
    });
  });
  log(`re-sealed ${resealed} private keys (${alreadyDone} were already done)`);
  if (keyFile) {
    writeMasterKeyFile(keyFile, next);
    log(`wrote the new key to ${keyFile}`);
  } else if (fs.existsSync(masterKeyFile(dataDir))) {
    log(`${masterKeyFile(dataDir)} still holds the old key; it is not used while MPOP_MASTER_KEY is set`);
  }
  return { resealed, alreadyDone, keyFile, wasComplete: false };
}
