import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations/index.js';
import { MasterKeyError, resolveMasterKey, verifyMasterKey } from '../src/modules/operations/master-key.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { releasedMiniProgram } from './helpers/packages.js';

const newKey = () => randomBytes(32).toString('base64');

/** Builds the app on the same data with another configuration; returns the app or the error it refused with. */
async function startWith(config: Config) {
  const logs = new PassThrough();
  let text = '';
  logs.on('data', (c) => (text += c));
  try {
    const app = await buildApp(config, { logStream: logs });
    return { app, logs: () => text };
  } catch (err) {
    return { error: err as Error, logs: () => text };
  }
}

describe.each(dialects)('the master key check on %s', (dialect) => {
  let t: TestApp;
  let appId: string;
  let miniProgramId: string;

  beforeAll(async () => {
    t = await startApp(dialect); // no MPOP_MASTER_KEY: the key is generated into the data dir
    const admin = await Client.signIn(t.app);
    appId = (await admin.post('/api/v1/host-apps', { name: 'Sealed', workspaceId: 'mk' })).json().appId;
    expect(
      (await admin.put(`/api/v1/host-apps/mk/${appId}/dev-config`, devConfigForm('mk.example.com', sharedKey().pkcs8))).statusCode,
    ).toBe(200);
    miniProgramId = (await releasedMiniProgram(admin, 'Key Check')).id;
    expect((await admin.put(`/api/v1/host-apps/mk/${appId}/mini-programs/${miniProgramId}`)).statusCode).toBe(200);
  });
  afterAll(() => t.destroy());

  it('generates the key on the first start and logs one line telling the operator to back it up', async () => {
    const file = path.join(t.dataDir, 'master.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const lines = t
      .logs()
      .split('\n')
      .filter((l) => /back it up/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    t = await t.restart();
    expect(t.logs()).not.toMatch(/back it up/);
  });

  it('refuses a start with another MPOP_MASTER_KEY, naming MPOP_MASTER_KEY and the key file, and changes nothing', async () => {
    await t.close();
    const before = fs.readFileSync(path.join(t.dataDir, 'master.key'), 'utf8');
    const wrong = await startWith({ ...t.config, masterKey: newKey() });
    expect(wrong.error).toBeInstanceOf(MasterKeyError);
    expect(wrong.error!.message).toMatch(/MPOP_MASTER_KEY/);
    expect(wrong.error!.message).toContain(path.join(t.dataDir, 'master.key'));
    expect(fs.readFileSync(path.join(t.dataDir, 'master.key'), 'utf8')).toBe(before);

    // The right key (the generated file) still works, and the gate still signs with the stored private key.
    t = await t.restart();
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'mk', platform: 'ios', clientVersion: '1', miniPrograms: { [miniProgramId]: '*' } },
    });
    expect(res.json().resources).toHaveLength(1);
  });

  it('refuses a wrong key file too, and removes a key it generated itself on data sealed with another key', async () => {
    await t.close();
    const file = path.join(t.dataDir, 'master.key');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `${newKey()}\n`, { mode: 0o600 });
    const wrongFile = await startWith(t.config);
    expect(wrongFile.error).toBeInstanceOf(MasterKeyError);
    expect(wrongFile.error!.message).toContain(`the key file ${file}`);

    // A lost key file: the start generates a new key, finds the data sealed with another one, and takes it back.
    fs.rmSync(file);
    const lost = await startWith(t.config);
    expect(lost.error).toBeInstanceOf(MasterKeyError);
    // It says what is missing (a data dir restored without its key), not that a key file it made itself is wrong.
    expect(lost.error!.message).toMatch(/^No master key: this installation's data was sealed with a master key/);
    expect(lost.error!.message).toContain('Set MPOP_MASTER_KEY');
    expect(lost.error!.message).not.toMatch(/is not the key/);
    expect(fs.existsSync(file)).toBe(false);

    fs.writeFileSync(file, original, { mode: 0o600 });
    t = await t.restart();
  });

  it('checks data stored before check values existed against a sealed private key', async () => {
    await t.app.db.deleteFrom('meta').where('name', '=', 'master_key_check').execute();
    await t.close();
    const wrong = await startWith({ ...t.config, masterKey: newKey() });
    expect(wrong.error).toBeInstanceOf(MasterKeyError);
    t = await t.restart(); // the right key: accepted, and it writes the check value
    expect(await t.app.db.selectFrom('meta').select('name').where('name', '=', 'master_key_check').executeTakeFirst()).toBeTruthy();
  });
});

describe('the master key file of a first start', () => {
  it('is accepted by the process that generated it when another one wrote the check value with it first', async () => {
    // MPOP_WORKERS=2 on new data: one worker generates the key file, the other reads it and writes the check value
    // first. The one that generated it must start too (and keep the file), not take it for a data dir without its key.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-mk-workers-'));
    const handle = connectDatabase(`sqlite:${path.join(dataDir, 'mpop.db')}`);
    try {
      await migrateToLatest(handle.db, handle.dialect);
      const generator = resolveMasterKey(dataDir);
      const reader = resolveMasterKey(dataDir);
      expect([generator.generated, reader.generated]).toEqual([true, false]);
      expect(reader.key.equals(generator.key)).toBe(true);
      await verifyMasterKey(handle.db, reader, dataDir);
      await expect(verifyMasterKey(handle.db, generator, dataDir)).resolves.toBeUndefined();
      expect(fs.readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim()).toBe(generator.key.toString('base64'));
      expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']); // nothing left beside it
      // Another generated key on that data is still refused as missing, and taken back.
      fs.rmSync(path.join(dataDir, 'master.key'));
      const lost = resolveMasterKey(dataDir);
      await expect(verifyMasterKey(handle.db, lost, dataDir)).rejects.toThrow(/^No master key: this installation's data was sealed/);
      expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
    } finally {
      await handle.db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is generated on a file system without hard links too, created exclusively, and read by the next process', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-mk-nolink-'));
    const link = vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    });
    try {
      const first = resolveMasterKey(dataDir);
      const second = resolveMasterKey(dataDir);
      expect(link).toHaveBeenCalled();
      expect([first.generated, second.generated]).toEqual([true, false]);
      expect(second.key.equals(first.key)).toBe(true);
      expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    } finally {
      link.mockRestore();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
