import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchJob, Resource } from '@mpop/contracts';
import { type PairKind, packagePair } from '../../../bench/mini-program-packages.mjs';
import { applyPatch } from '../../client/src/patch.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { packageForm } from './helpers/packages.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** Real-looking packages, smaller than the benchmark's 2 MB so the suite stays quick. */
const BYTES = 700_000;

describe.each(dialects)('patches between package versions on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let appId: string;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    appId = (await admin.post('/api/v1/host-apps', { name: 'Patched', workspaceId: 'patch' })).json().appId;
    const set = await admin.put(`/api/v1/host-apps/patch/${appId}/dev-config`, devConfigForm('patch.example.com', sharedKey().pkcs8));
    expect(set.statusCode, set.body).toBe(200);
  });
  afterAll(() => t.destroy());

  /** A mini program authorised for the host app, with `from` released as 1.0.0.1 and then `to` as 1.0.0.2. */
  async function twoReleases(a: TestApp, c: Client, name: string, from: Buffer, to: Buffer) {
    const id = (await c.post('/api/v1/mini-programs', { name })).json().miniProgramId as string;
    for (const [version, zip] of [
      ['1.0.0.1', from],
      ['1.0.0.2', to],
    ] as const) {
      const up = await c.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip));
      expect(up.statusCode, up.body).toBe(201);
      if (version === '1.0.0.1') expect((await c.put(`/api/v1/host-apps/patch/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
      const rel = await c.post(`/api/v1/mini-programs/${id}/packages/${version}/release`);
      expect(rel.statusCode, rel.body).toBe(200);
    }
    await a.app.services.patches.idle();
    return id;
  }

  const jobs = async (c: Client, id: string) => (await c.get(`/api/v1/patch-jobs?miniProgramId=${id}`)).json().items as PatchJob[];

  async function resource(a: TestApp, id: string, has: string): Promise<Resource> {
    const res = await a.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'patch', platform: 'android', clientVersion: '1.0.0', deviceId: 'd-1', miniPrograms: { [id]: has } },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().resources[0];
  }

  it.each(['one-file-changed', 'file-added'] as PairKind[])(
    '%s: the kept patch rebuilds the new package byte for byte, and the gate offers it to a device that names the old version',
    async (kind) => {
      const { from, to } = await packagePair(kind, 7, BYTES);
      const id = await twoReleases(t, admin, `Pair ${kind}`, from, to);

      const [job] = await jobs(admin, id);
      expect(job).toMatchObject({ fromVersion: '1.0.0.1', toVersion: '1.0.0.2', status: 'done', fullSize: to.length, noteCode: null });
      expect(job.size!).toBeLessThan(to.length * 0.2); // far below the half that is kept

      const r = await resource(t, id, '1.0.0.1');
      expect(r).toMatchObject({ version: '1.0.0.2', sha256: sha256(to), size: to.length });
      expect(r.patch).toEqual({
        fromVersion: '1.0.0.1',
        fromSha256: sha256(from),
        format: 'mpop-patch-v1',
        url: `http://mpop.test/client/v1/patches/${job.sha256}.delta`,
        sha256: job.sha256,
        size: job.size,
      });
      const download = await t.app.inject({ method: 'GET', url: new URL(r.patch!.url).pathname });
      expect(download.statusCode).toBe(200);
      expect(download.headers['cache-control']).toContain('immutable');
      const patch = download.rawPayload;
      expect(patch.length).toBe(r.patch!.size);
      expect(sha256(patch)).toBe(r.patch!.sha256);
      const rebuilt = Buffer.from(applyPatch(new Uint8Array(from), new Uint8Array(patch), to.length));
      expect(rebuilt.equals(to)).toBe(true);
    },
  );

  it('offers a patch only to a device that names a version a patch starts from', async () => {
    const { from, to } = await packagePair('one-file-changed', 11, BYTES);
    const id = await twoReleases(t, admin, 'Named only', from, to);
    expect((await jobs(admin, id))[0].status).toBe('done');
    expect((await resource(t, id, '1.0.0.1')).patch).toBeDefined();
    for (const has of ['*', '1.0.0.2', '0.9.0.0']) expect((await resource(t, id, has)).patch, has).toBeUndefined();
    // Asking for everything names no version: no patch either.
    const all = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'patch', platform: 'android', clientVersion: '1.0.0', deviceId: 'd-1', miniPrograms: {} },
    });
    expect((all.json().resources as Resource[]).every((r) => r.patch === undefined)).toBe(true);
  });

  it('does not keep a patch that is not smaller than half the package (every asset re-compressed)', async () => {
    const { from, to } = await packagePair('assets-recompressed', 3, BYTES);
    const id = await twoReleases(t, admin, 'Recompressed', from, to);
    const [job] = await jobs(admin, id);
    expect(job).toMatchObject({ status: 'skipped', noteCode: 'not-smaller', sha256: null, size: null, fullSize: to.length });
    expect(job.note).toMatch(/not be smaller than half the package/);
    expect((await resource(t, id, '1.0.0.1')).patch).toBeUndefined();
  });

  it('makes patches from the last 3 released versions only', async () => {
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Five versions' })).json().miniProgramId as string;
    for (let v = 1; v <= 5; v++) {
      const zip = (await packagePair('file-added', 5, 200_000 + v * 1000)).to;
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: `1.0.0.${v}` }, zip))).statusCode).toBe(201);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.${v}/release`)).statusCode).toBe(200);
    }
    await t.app.services.patches.idle();
    const toFive = (await jobs(admin, id)).filter((j) => j.toVersion === '1.0.0.5').map((j) => j.fromVersion);
    expect(toFive.sort()).toEqual(['1.0.0.2', '1.0.0.3', '1.0.0.4']);
  });
});

describe('patch jobs survive a restart', () => {
  it('a job queued by a release is made by the next process; one whose process died is taken over', async () => {
    let t = await startApp('sqlite', {}, { patchJobs: false });
    try {
      let admin = await Client.signIn(t.app);
      const id = (await admin.post('/api/v1/mini-programs', { name: 'Restarted' })).json().miniProgramId as string;
      const { from, to } = await packagePair('one-file-changed', 21, 300_000);
      for (const [version, zip] of [
        ['1.0.0.1', from],
        ['1.0.0.2', to],
      ] as const) {
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
      }
      const listed = async () => (await admin.get(`/api/v1/patch-jobs?miniProgramId=${id}`)).json().items as PatchJob[];
      expect(await listed()).toMatchObject([{ status: 'queued', fromVersion: '1.0.0.1', toVersion: '1.0.0.2' }]);

      // A process that claimed it and died: running, its lease run out.
      await t.app.db
        .updateTable('packagePatches')
        .set({ status: 'running', attempts: 1, leaseUntil: new Date(Date.now() - 1000).toISOString() })
        .where('miniProgramId', '=', id)
        .execute();

      t = await t.restart({ patchJobs: true });
      admin = await Client.signIn(t.app);
      await t.app.services.patches.idle();
      const [job] = await listed();
      expect(job).toMatchObject({ status: 'done', attempts: 2 });
      expect(job.size!).toBeLessThan(to.length / 2);
    } finally {
      await t.destroy();
    }
  });

  it('MPOP_PATCHES=off: a release queues no patch job', async () => {
    const t = await startApp('sqlite', { MPOP_PATCHES: 'off' });
    try {
      const admin = await Client.signIn(t.app);
      const id = (await admin.post('/api/v1/mini-programs', { name: 'No patches' })).json().miniProgramId as string;
      const { from, to } = await packagePair('one-file-changed', 23, 200_000);
      for (const [version, zip] of [
        ['1.0.0.1', from],
        ['1.0.0.2', to],
      ] as const) {
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
      }
      await t.app.services.patches.idle();
      expect((await admin.get(`/api/v1/patch-jobs?miniProgramId=${id}`)).json().items).toEqual([]);
    } finally {
      await t.destroy();
    }
  });

  it('skips, with a note, packages larger than MPOP_PATCH_MAX_BYTES', async () => {
    const t = await startApp('sqlite', { MPOP_PATCH_MAX_BYTES: '100000' });
    try {
      const admin = await Client.signIn(t.app);
      const id = (await admin.post('/api/v1/mini-programs', { name: 'Too large' })).json().miniProgramId as string;
      const { from, to } = await packagePair('one-file-changed', 22, 300_000);
      for (const [version, zip] of [
        ['1.0.0.1', from],
        ['1.0.0.2', to],
      ] as const) {
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
        expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
      }
      await t.app.services.patches.idle();
      const [job] = (await admin.get(`/api/v1/patch-jobs?miniProgramId=${id}`)).json().items as PatchJob[];
      expect(job).toMatchObject({ status: 'skipped', noteCode: 'too-large', size: null });
      expect(job.note).toMatch(/MPOP_PATCH_MAX_BYTES/);
      expect(t.logs()).toMatch(/package above MPOP_PATCH_MAX_BYTES: no patch made/);
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/mpop_patch_jobs_total\{status="skipped"\} 1/);
    } finally {
      await t.destroy();
    }
  });
});
