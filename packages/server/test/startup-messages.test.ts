import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, postgresReachable } from './helpers/postgres.js';
import { cleanServerEnv, freePort, MAIN, run, waitFor } from './helpers/process.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-start-'));

describe('start-up messages of the built server say what to do', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = tmp();
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>, dir = dataDir()) {
    const port = await freePort();
    const r = run(process.execPath, [MAIN], { ...cleanServerEnv(dir, port), ...env });
    return { ...r, port, dir };
  }

  it('names PORT when the port is already in use', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const r = await start({ PORT: String(port) });
      expect((await r.exited).code).toBe(1);
      expect(r.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr()).toContain(`PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a DATABASE_URL that names no database, before touching any database', async () => {
    for (const url of ['postgres://postgres@127.0.0.1:5432', 'postgres://postgres:s3cret@127.0.0.1:5432/']) {
      const r = await start({ DATABASE_URL: url });
      expect((await r.exited).code).toBe(2);
      expect(r.stderr()).toMatch(/DATABASE_URL must name a database, such as postgres:\/\/user@host:5432\/mpop/);
      expect(r.stderr()).toContain('createdb mpop');
      expect(r.stderr()).not.toContain('s3cret');
    }
  });

  it('tells how to fix a refused PostgreSQL connection', async () => {
    const port = await freePort(); // nothing listens there
    const r = await start({ DATABASE_URL: `postgres://postgres:s3cret@127.0.0.1:${port}/mpop` });
    expect((await r.exited).code).toBe(1);
    expect(r.stderr()).toContain(`Cannot connect to PostgreSQL at 127.0.0.1:${port}: the connection was refused`);
    expect(r.stderr()).toContain('set DATABASE_URL');
    expect(r.stderr()).not.toContain('s3cret');
  });

  it.skipIf(!process.env.MPOP_TEST_PG_RUN_URL)('gives the createdb command for a database that does not exist', async () => {
    expect(await postgresReachable()).toBe(true);
    const admin = new URL(ADMIN_URL);
    const name = `mpop_missing_${randomBytes(4).toString('hex')}`;
    admin.pathname = `/${name}`;
    const r = await start({ DATABASE_URL: admin.toString() });
    expect((await r.exited).code).toBe(1);
    expect(r.stderr()).toContain(`The database "${name}" does not exist`);
    expect(r.stderr()).toContain(`createdb -h ${admin.hostname} -p ${admin.port || '5432'} -U ${admin.username || 'postgres'} ${name}`);
  });

  it('refuses another master key on existing data, naming MPOP_MASTER_KEY and the key file', async () => {
    const first = await start({});
    await waitFor(`http://127.0.0.1:${first.port}/readyz`);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const second = await start({ MPOP_MASTER_KEY: randomBytes(32).toString('base64') }, first.dir);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain('MPOP_MASTER_KEY');
    expect(second.stderr()).toContain(path.join(first.dir, 'master.key'));
    expect(second.stderr()).toContain('mpop admin rotate-master-key');
  });

  it('prints the full first-admin command with the DATABASE_URL in use, and writes JSON lines when stdout is not a terminal', async () => {
    const r = await start({});
    await waitFor(`http://127.0.0.1:${r.port}/readyz`);
    r.child.kill('SIGTERM');
    expect((await r.exited).code).toBe(0);
    const lines = r.stdout().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const hint = lines.map((l) => JSON.parse(l).msg as string).find((m) => m.startsWith('No user exists yet'));
    expect(hint).toContain(`DATABASE_URL='sqlite:${path.join(r.dir, 'mpop.db')}' MPOP_DATA_DIR='${r.dir}'`);
    expect(hint).toContain("MPOP_ADMIN_USERNAME=admin MPOP_ADMIN_PASSWORD='<a passphrase of yours, 12+ characters>' npm start");
    expect(hint).toContain('npx mpop admin create-user --username admin --role admin');
    const backup = lines.map((l) => JSON.parse(l).msg as string).filter((m) => /back it up/.test(m));
    expect(backup).toEqual([expect.stringContaining(path.join(r.dir, 'master.key'))]);
  });

  it('writes readable text, not JSON, when stdout is a terminal', async () => {
    const dir = dataDir();
    const port = await freePort();
    const env = { ...cleanServerEnv(dir, port), TERM: 'xterm' };
    // `script` gives the server a pseudo-terminal as stdout, as an operator's shell does.
    const r = run('script', ['-qec', `${process.execPath} ${MAIN}`, '/dev/null'], env, { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    const until = Date.now() + 20_000;
    while (!r.stdout().includes('mpop is ready') && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    r.child.kill('SIGTERM'); // script passes it on
    await r.exited;
    const ready = r
      .stdout()
      .split(/\r?\n/)
      .find((l) => l.includes('mpop is ready'));
    expect(ready, r.stdout()).toBeDefined();
    expect(ready!.trimStart().startsWith('{')).toBe(false);
    expect(ready).toMatch(/INFO/);
  });
});
