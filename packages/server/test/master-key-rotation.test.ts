import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, urlWithSchema } from './helpers/postgres.js';
import { apiToken, CLI, cli, MAIN, run, startServer } from './helpers/process.js';
import { Api, expectPopulation, type Population, populate } from './helpers/scenario.js';

const PG = process.env.MPOP_TEST_PG_RUN_URL;
const newKey = () => randomBytes(32).toString('base64');

/** Starts the rotation and kills it (SIGKILL) once it has re-sealed `after` keys. */
async function rotateAndKill(env: Record<string, string>, after: number) {
  const r = run(process.execPath, [CLI, 'admin', 'rotate-master-key'], { ...env, MPOP_TEST_ROTATION_PAUSE_AFTER: String(after) });
  const until = Date.now() + 60_000;
  while (!r.stderr().includes(`paused after ${after} keys`)) {
    if (Date.now() > until) throw new Error(`the rotation did not pause: ${r.stderr()}`);
    if (r.child.exitCode !== null) throw new Error(`the rotation ended early: ${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  r.child.kill('SIGKILL');
  await r.exited;
}

/** Whether the server starts with these variables; the refusal's message otherwise. */
async function tryStart(env: Record<string, string>) {
  const r = run(process.execPath, [MAIN], { ...env, PORT: '0', HOST: '127.0.0.1' });
  const until = Date.now() + 60_000;
  while (r.child.exitCode === null && !r.stdout().includes('mpop is ready') && Date.now() < until)
    await new Promise((res) => setTimeout(res, 100));
  const started = r.stdout().includes('mpop is ready');
  r.child.kill('SIGTERM');
  await r.exited;
  return { started, stderr: r.stderr() };
}

describe.each(PG ? ['sqlite', 'postgres'] : ['sqlite'])('mpop admin rotate-master-key on %s', (dialect) => {
  let work: string;
  let env: Record<string, string>;
  let population: Population;
  const oldKey = newKey();
  const rotated = newKey();
  const schemas: string[] = [];
  async function database() {
    if (dialect !== 'postgres') return '';
    const schema = `k_${randomBytes(5).toString('hex')}`;
    await adminQuery(`create schema ${schema}`, PG!);
    schemas.push(schema);
    return urlWithSchema(PG!, schema);
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-rotate-'));
    env = { MPOP_DATA_DIR: path.join(work, 'data'), DATABASE_URL: await database(), MPOP_MASTER_KEY: oldKey };
    const server = await startServer(env.MPOP_DATA_DIR, env);
    const api = new Api(server.url, await apiToken(server.url));
    population = await populate(api);
    expect(await server.stop()).toBe(0);
  }, 180_000);
  afterAll(async () => {
    for (const schema of schemas) await adminQuery(`drop schema if exists ${schema} cascade`, PG!);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('killed midway, it refuses the server until run again; the second run finishes with no key lost', async () => {
    await rotateAndKill({ ...env, MPOP_NEW_MASTER_KEY: rotated }, 2);

    // Neither key starts the server while the rotation is unfinished, and the message says what to do.
    for (const key of [oldKey, rotated]) {
      const attempt = await tryStart({ ...env, MPOP_MASTER_KEY: key });
      expect(attempt.started).toBe(false);
      expect(attempt.stderr).toMatch(/master key rotation was interrupted.*mpop admin rotate-master-key`? again.*MPOP_NEW_MASTER_KEY/);
    }
    // Resuming with another new key would strand the keys already sealed with the first one: refused.
    const other = await cli(['admin', 'rotate-master-key'], { ...env, MPOP_NEW_MASTER_KEY: newKey() });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/interrupted.*MPOP_NEW_MASTER_KEY set to it/);

    const again = await cli(['admin', 'rotate-master-key', '--json'], { ...env, MPOP_NEW_MASTER_KEY: rotated });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ resealed: 1, alreadyDone: 2, wasComplete: false });

    const refused = await tryStart(env); // the old key
    expect(refused.started).toBe(false);
    expect(refused.stderr).toMatch(/MPOP_MASTER_KEY/);

    const server = await startServer(env.MPOP_DATA_DIR, { ...env, MPOP_MASTER_KEY: rotated });
    try {
      const api = new Api(server.url, await apiToken(server.url));
      await expectPopulation(api, population);
      // The re-sealed keys sign new releases: version 1.0.0.1 is signed now, with keys opened by the new master key.
      await api.ok('POST', `/api/v1/mini-programs/${population.miniProgramId}/packages/1.0.0.1/release`);
      const res = await fetch(`${server.url}/client/v1/resources`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId: population.apps[2].appId,
          workspaceId: population.workspaceId,
          platform: 'ios',
          clientVersion: '1',
          miniPrograms: {},
        }),
      });
      expect(((await res.json()) as { resources: { version: string }[] }).resources.map((r) => r.version)).toEqual(['1.0.0.1']);
      const audit = await api.ok('GET', '/api/v1/audit-events?action=master-key.rotated');
      expect(audit.items).toHaveLength(1);
    } finally {
      await server.stop();
    }
  }, 300_000);

  // The key file is the same on either database: once is enough.
  if (dialect === 'sqlite')
    it('rotates a generated key file in place, so the server starts with no variable set', async () => {
      const fileEnv = { MPOP_DATA_DIR: path.join(work, 'file-key'), DATABASE_URL: await database(), MPOP_MASTER_KEY: '' };
      const server = await startServer(fileEnv.MPOP_DATA_DIR, fileEnv);
      const api = new Api(server.url, await apiToken(server.url));
      const filePopulation = await populate(api, 'filekey');
      await server.stop();
      const keyFile = path.join(fileEnv.MPOP_DATA_DIR, 'master.key');
      const before = fs.readFileSync(keyFile, 'utf8');
      const next = newKey();

      await rotateAndKill({ ...fileEnv, MPOP_NEW_MASTER_KEY: next }, 1);
      expect(fs.readFileSync(keyFile, 'utf8')).toBe(before); // the file changes only once every key is done
      const res = await cli(['admin', 'rotate-master-key', '--json'], { ...fileEnv, MPOP_NEW_MASTER_KEY: next });
      expect(res.code, res.stderr).toBe(0);
      expect(res.json()).toMatchObject({ keyFile, wasComplete: false });
      expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(next);
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

      // Run once more: nothing to do, and it says so.
      const noop = await cli(['admin', 'rotate-master-key', '--json'], { ...fileEnv, MPOP_MASTER_KEY: next, MPOP_NEW_MASTER_KEY: next });
      expect(noop.code).toBe(1);
      expect(noop.stderr).toMatch(/is the current master key/);

      const restarted = await startServer(fileEnv.MPOP_DATA_DIR, fileEnv);
      try {
        await expectPopulation(new Api(restarted.url, await apiToken(restarted.url)), filePopulation);
      } finally {
        await restarted.stop();
      }
    }, 300_000);
});
