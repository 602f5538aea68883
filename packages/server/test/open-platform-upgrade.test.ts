import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../src/db/connect.js';
import { migrateTo } from '../src/db/migrations/index.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { upload } from './helpers/open-platform.js';
import { adminQuery, urlWithSchema } from './helpers/postgres.js';

const NOW = '2026-11-01T00:00:00.000Z';

/** A database at the last migration before the open platform, holding a mini program authorised for a host app. */
async function databaseBeforeOpenPlatform(dialect: 'sqlite' | 'postgres'): Promise<string> {
  let url: string;
  if (dialect === 'postgres') {
    const schema = `up_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create schema ${schema}`, process.env.MPOP_TEST_PG_RUN_URL!);
    url = urlWithSchema(process.env.MPOP_TEST_PG_RUN_URL!, schema);
  } else {
    url = `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-upgrade-')), 'mpop.db')}`;
  }
  const handle = connectDatabase(url);
  try {
    await migrateTo(handle.db, handle.dialect, '0009_names_sso');
    // biome-ignore lint/suspicious/noExplicitAny: the tables as they were at 0009, in snake_case, as migrations see them
    const db = handle.db.withoutPlugins() as unknown as Kysely<any>;
    await db
      .insertInto('mini_programs')
      .values({
        mini_program_id: '1000000000000001',
        name: 'Legacy',
        released_version: null,
        current_release_id: null,
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    const host = await db
      .insertInto('host_apps')
      .values({
        app_id: 'LEGACY0000001',
        workspace_id: 'old',
        tenant_id: 'ABCDEFGH',
        name: 'Old App',
        name_key: 'old app',
        source: 'manual',
        created_at: NOW,
        updated_at: NOW,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('host_app_mini_programs')
      .values({ host_app_id: host.id, mini_program_id: '1000000000000001', created_at: NOW })
      .execute();
  } finally {
    await handle.db.destroy();
  }
  return url;
}

describe.each(dialects)('upgrading an installation to the open platform, on %s', (dialect) => {
  let t: TestApp | undefined;
  afterAll(() => t?.destroy());

  it('moves existing mini programs into `platform` (no review), and existing authorisations into approved associations', async () => {
    t = await startApp(dialect, { DATABASE_URL: await databaseBeforeOpenPlatform(dialect) });
    const admin = await Client.signIn(t.app);
    const [mp] = (await admin.get('/api/v1/mini-programs')).json().items;
    expect(mp).toMatchObject({ miniProgramId: '1000000000000001', orgId: 'platform' });
    expect((await admin.get('/api/v1/organisations/platform')).json()).toMatchObject({ orgId: 'platform', reviewRequired: false });
    expect((await admin.get('/api/v1/associations')).json().items).toMatchObject([
      {
        miniProgramId: '1000000000000001',
        orgId: 'platform',
        workspaceId: 'old',
        appId: 'LEGACY0000001',
        state: 'approved',
        requestedBy: 'system',
      },
    ]);
    // Released as before: no review needed in `platform`.
    expect((await upload(admin, mp.miniProgramId, '1.0.0.0')).statusCode).toBe(201);
    const released = await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.0/release`);
    expect(released.statusCode, released.body).toBe(200);
    expect((await admin.get(`/api/v1/mini-programs/${mp.miniProgramId}/packages`)).json().items[0]).toMatchObject({
      status: 'released',
      review: { state: 'draft' },
    });
  });
});
