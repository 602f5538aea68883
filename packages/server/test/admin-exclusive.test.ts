import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { cli } from './helpers/process.js';

const newKey = () => randomBytes(32).toString('base64');

describe.each(dialects)('mpop admin beside a running server on %s', (dialect) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  /** The variables of the `mpop admin` commands, for the data of the running test app. */
  const adminEnv = (app: TestApp, extra: Record<string, string> = {}) => ({
    DATABASE_URL: app.config.databaseUrl,
    MPOP_DATA_DIR: app.dataDir,
    MPOP_MASTER_KEY: app.config.masterKey!,
    ...extra,
  });

  it('rotate-master-key refuses while a server holds the database, names it, and changes nothing; after close it works', async () => {
    const oldKey = newKey();
    t = await startApp(dialect, { MPOP_MASTER_KEY: oldKey });
    const rotated = newKey();

    const refused = await cli(['admin', 'rotate-master-key'], adminEnv(t, { MPOP_NEW_MASTER_KEY: rotated }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/master key rotation cannot run while a server uses the database/);
    expect(refused.stderr).toContain(`pid ${process.pid}`);
    // Nothing changed: the running server still works, and no rotation is left pending (it restarts with the old key).
    const admin = await Client.signIn(t.app);
    const audit = (await admin.get('/api/v1/audit-events?action=master-key.rotated')).json();
    expect(audit.total).toBe(0);
    t = await t.restart();

    await t.close();
    const done = await cli(['admin', 'rotate-master-key', '--json'], adminEnv(t, { MPOP_NEW_MASTER_KEY: rotated }));
    expect(done.code, done.stderr).toBe(0);
    expect(done.json()).toMatchObject({ wasComplete: false });
  }, 120_000);

  it('a server does not start while a rotation holds the database', async () => {
    if (dialect !== 'postgres') return; // on SQLite the lock file refuses it, as any second mpop (sqlite-lock tests)
    t = await startApp(dialect, { MPOP_MASTER_KEY: newKey() });
    await t.close();
    const { holdExclusively } = await import('../src/db/server-presence.js');
    const release = await holdExclusively(t.config.databaseUrl, 'The test');
    try {
      await expect(t.restart()).rejects.toThrow(/master key rotation .* is running on this database/);
    } finally {
      await release();
    }
    t = await t.restart();
  }, 120_000);

  it('mpop admin backup leaves an audit event naming the file, with no secret', async () => {
    t = await startApp(dialect, { MPOP_MASTER_KEY: newKey() });
    const file = path.join(t.dataDir, 'nightly.backup');
    const res = await cli(['admin', 'backup', file, '--json'], adminEnv(t));
    expect(res.code).toBe(0);
    const sha256 = res.json().sha256;
    const admin = await Client.signIn(t.app);
    const audit = (await admin.get('/api/v1/audit-events?action=installation.backed-up')).json();
    expect(audit.total).toBe(1);
    expect(audit.items[0]).toMatchObject({ target: 'backup:nightly.backup', details: { sha256, bytes: fs.statSync(file).size } });
    expect(audit.items[0].actor).toMatch(/^mpop admin/);
    expect(JSON.stringify(audit.items[0])).not.toContain(t.config.masterKey!);
  }, 120_000);
});
