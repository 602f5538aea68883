import { execFileSync } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@mpop/contracts';
import { ManifestCache, type ManifestKey } from '../src/modules/gate/manifest-cache.js';
import { manifestContent, manifestEntryJson, manifestHead, manifestText } from '../src/modules/gate/manifest.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';

const HOUR = 3_600_000;
const KEY: ManifestKey = { hostAppId: 1, workspaceId: 'w', appId: 'A', keyFingerprint: 'f'.repeat(64), privateKeySealed: 'sealed' };

describe('the manifest text', () => {
  const resource = {
    miniProgramId: '1234567890123456',
    version: '1.0.0.1',
    packageUrl: 'https://cdn.example.com/packages/ab.zip',
    sha256: 'ab'.repeat(32),
    size: 1234,
    signature: 'sig',
    bindingSignature: 'bind',
    keyFingerprint: 'f'.repeat(64),
    vhost: 'mini.example.com',
    mainUrl: '/index.html#pages/index/index',
    mandatory: true,
  };

  it('is canonical JSON in the contract key order, naming every signed field of each resource (and nothing else)', () => {
    const content = manifestContent(
      KEY.keyFingerprint,
      manifestHead({ appId: 'A"1', workspaceId: 'w', generation: 7 }),
      [manifestEntryJson(resource)],
      '["aa"]',
      7,
    );
    const issued = Date.parse('2026-12-01T00:00:00.000Z');
    const text = manifestText(content, issued, 24 * HOUR);
    const parsed = JSON.parse(text) as Manifest;
    // Parsed and written again, it is the same text: one reading, whatever the client's JSON library.
    expect(JSON.stringify(parsed)).toBe(text);
    expect(Object.keys(parsed)).toEqual([
      'type',
      'appId',
      'workspaceId',
      'generation',
      'issuedAt',
      'expiresAt',
      'resources',
      'revokedKeys',
    ]);
    expect(parsed).toEqual({
      type: 'mpop-manifest-v1',
      appId: 'A"1',
      workspaceId: 'w',
      generation: 7,
      issuedAt: '2026-12-01T00:00:00.000Z',
      expiresAt: '2026-12-02T00:00:00.000Z',
      resources: [
        {
          miniProgramId: resource.miniProgramId,
          version: '1.0.0.1',
          sha256: resource.sha256,
          size: 1234,
          mandatory: true,
          packageUrl: resource.packageUrl,
          mainUrl: resource.mainUrl,
          vhost: 'mini.example.com',
        },
      ],
      revokedKeys: ['aa'],
    });
    // The times are not part of the content: the same answer an hour later shares its signature.
    expect(content.key).not.toContain('2026');
  });
});

describe('ManifestCache', () => {
  /** A signer that counts, and signs only when the test lets it. */
  function fakeSigner() {
    const waiting: (() => void)[] = [];
    const signer = {
      made: 0,
      hold: false,
      sign: async (_key: ManifestKey, text: string) => {
        signer.made++;
        if (signer.hold) await new Promise<void>((r) => waiting.push(r));
        return `sig:${createHash('sha256').update(text).digest('hex')}`;
      },
      release: () => {
        for (const r of waiting.splice(0)) r();
      },
    };
    return signer;
  }
  const content = (generation: number, entries: string[] = []) =>
    manifestContent(KEY.keyFingerprint, manifestHead({ appId: 'A', workspaceId: 'w', generation }), entries, '[]', generation);

  it('signs each distinct content once, and coalesces concurrent first requests into one signature', async () => {
    let now = 1_000_000;
    const signer = fakeSigner();
    const cache = new ManifestCache(signer, 24 * HOUR, () => now);
    signer.hold = true;
    const first = [cache.get(content(1), KEY), cache.get(content(1), KEY), cache.get(content(1), KEY)];
    expect(cache.peek(content(1), KEY)).toBeUndefined(); // not signed yet: the fast path leaves it to the route
    signer.hold = false;
    signer.release();
    const signed = await Promise.all(first);
    expect(new Set(signed).size).toBe(1);
    expect(signer.made).toBe(1);
    now += HOUR;
    expect(cache.peek(content(1), KEY)).toBe(signed[0]); // reused, same issuedAt
    expect(await cache.get(content(2), KEY)).not.toBe(signed[0]); // another generation is another content
    expect(signer.made).toBe(2);
    expect(cache.signatures).toBe(2);
  });

  it("keeps a host app's manifests of its newest generation only (a change raises it: the older are not asked for again)", async () => {
    const signer = fakeSigner();
    const cache = new ManifestCache(signer, 24 * HOUR, () => 1_000_000);
    const other: ManifestKey = { ...KEY, hostAppId: 2, appId: 'B' };
    const ofOther = manifestContent(KEY.keyFingerprint, manifestHead({ appId: 'B', workspaceId: 'w', generation: 1 }), [], '[]', 1);
    await cache.get(content(4, ['"a"']), KEY);
    await cache.get(content(4, ['"b"']), KEY); // two answers of one generation (a rollout's two versions)
    await cache.get(ofOther, other);
    expect(cache.size).toBe(3);
    await cache.get(content(5), KEY);
    // Generation 4 of this host app is gone; the other host app's manifest stays.
    expect(cache.size).toBe(2);
    expect(cache.peek(content(4, ['"a"']), KEY)).toBeUndefined();
    expect(cache.peek(ofOther, other)).toBeDefined();
    // A view read before the change may still ask for an older generation: it gets one, and the newest stays.
    await cache.get(content(4, ['"a"']), KEY);
    expect(cache.peek(content(5), KEY)).toBeDefined();
    expect(signer.made).toBe(5);
  });

  it('renews a manifest once half its lifetime has passed, handing out the old one until the new one is signed', async () => {
    let now = 5_000_000;
    const signer = fakeSigner();
    const cache = new ManifestCache(signer, 24 * HOUR, () => now);
    const old = await cache.get(content(3), KEY);
    expect(old.issuedAt).toBe(now);
    now += 12 * HOUR - 1;
    expect(cache.peek(content(3), KEY)).toBe(old);
    expect(signer.made).toBe(1);
    now += 1; // half the lifetime
    signer.hold = true;
    expect(cache.peek(content(3), KEY)).toBe(old); // still handed out, a renewal started
    expect(cache.peek(content(3), KEY)).toBe(old); // one renewal, not one per request
    expect(signer.made).toBe(2);
    signer.release();
    await expect.poll(() => cache.peek(content(3), KEY)?.issuedAt).toBe(now);
    const renewed = cache.peek(content(3), KEY)!;
    expect(JSON.parse(renewed.text).expiresAt).toBe(new Date(now + 24 * HOUR).toISOString());
    expect(signer.made).toBe(2);
  });

  it('stops handing out a manifest with less than a quarter of its lifetime left: requests wait for the new one', async () => {
    let now = 0;
    const signer = fakeSigner();
    const cache = new ManifestCache(signer, 4 * HOUR, () => now);
    await cache.get(content(1), KEY);
    now = 3 * HOUR;
    signer.hold = true;
    expect(cache.peek(content(1), KEY)).toBeUndefined();
    const waiting = cache.get(content(1), KEY);
    signer.release();
    expect((await waiting).issuedAt).toBe(3 * HOUR);
  });
});

describe.each(dialects)('signed gate answers on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let url: string;
  let now = Date.now();
  const key = rsaKey();
  let appId: string;
  let programId: string;

  beforeAll(async () => {
    t = await startApp(dialect, {}, { clock: () => now });
    admin = await Client.signIn(t.app);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    appId = (await admin.post('/api/v1/host-apps', { name: 'Manifest Host', workspaceId: 'mf' })).json().appId;
    expect((await admin.put(`/api/v1/host-apps/mf/${appId}/dev-config`, devConfigForm('mf.example.com', key.pkcs8))).statusCode).toBe(200);
    programId = (await releasedMiniProgram(admin, 'Manifest MP')).id;
    expect((await admin.put(`/api/v1/host-apps/mf/${appId}/mini-programs/${programId}`)).statusCode).toBe(200);
  });
  afterAll(() => t.destroy());

  /** A gate request over real HTTP (the fast path answers it once the route has answered one). */
  async function ask(app = appId, extra: Record<string, unknown> = {}) {
    const res = await fetch(`${url}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: app, workspaceId: 'mf', platform: 'android', clientVersion: '10.2.3', miniPrograms: {}, ...extra }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      resources: { miniProgramId: string }[];
      manifest: string;
      manifestSignature: string;
      keyFingerprint: string;
    };
    return { ...answer, parsed: JSON.parse(answer.manifest) as Manifest };
  }
  const generation = async (app = appId) => (await ask(app)).parsed.generation;

  it("carries a manifest naming exactly the answer's resources, signed with the host app's key (node:crypto and OpenSSL)", async () => {
    const a = await ask();
    const fingerprint = createHash('sha256').update(key.spkiDer).digest('hex');
    expect(a.keyFingerprint).toBe(fingerprint);
    expect(verify('sha256', Buffer.from(a.manifest, 'utf8'), key.publicPem, Buffer.from(a.manifestSignature, 'base64'))).toBe(true);
    expect(a.parsed).toMatchObject({ type: 'mpop-manifest-v1', appId, workspaceId: 'mf', revokedKeys: [] });
    expect(Date.parse(a.parsed.expiresAt) - Date.parse(a.parsed.issuedAt)).toBe(24 * HOUR);
    expect(a.parsed.resources).toEqual(
      a.resources.map((r) => {
        const { signature: _s, bindingSignature: _b, keyFingerprint: _k, ...entry } = r as Record<string, unknown>;
        return entry;
      }),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-manifest-'));
    try {
      fs.writeFileSync(path.join(dir, 'pub.pem'), key.publicPem);
      fs.writeFileSync(path.join(dir, 'manifest.json'), a.manifest);
      fs.writeFileSync(path.join(dir, 'sig.bin'), Buffer.from(a.manifestSignature, 'base64'));
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'manifest.json'], {
        cwd: dir,
      });
      expect(out.toString()).toContain('Verified OK');
      fs.writeFileSync(path.join(dir, 'manifest.json'), a.manifest.replace('"mandatory":false', '"mandatory":true'));
      expect(() =>
        execFileSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'manifest.json'], {
          cwd: dir,
          stdio: 'pipe',
        }),
      ).toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('raises the generation with every change that can change an answer, and never lowers it', async () => {
    const seen: number[] = [await generation()];
    const step = async (what: string, change: () => Promise<{ statusCode: number; body: string }>) => {
      const res = await change();
      expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(300);
      const g = await generation();
      expect(g, what).toBeGreaterThan(seen.at(-1)!);
      seen.push(g);
    };
    const zip = await miniProgramZip('pages/v2/index');
    expect((await admin.post(`/api/v1/mini-programs/${programId}/packages`, packageForm({ version: '1.0.0.2' }, zip))).statusCode).toBe(
      201,
    );
    await step('release', () => admin.post(`/api/v1/mini-programs/${programId}/packages/1.0.0.2/release`, { rollout: { percent: 10 } }));
    const releaseId = (await admin.get(`/api/v1/mini-programs/${programId}/releases`)).json().items[0].releaseId;
    await step('rollout step', () =>
      admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${programId}/releases/${releaseId}`, payload: { percent: 20 } }),
    );
    await step('pause', () =>
      admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${programId}/releases/${releaseId}`, payload: { paused: true } }),
    );
    await step('rollback', () => admin.post(`/api/v1/mini-programs/${programId}/rollback`, {}));
    await step('take-down', () => admin.post(`/api/v1/mini-programs/${programId}/take-down`));
    await step('release again', () => admin.post(`/api/v1/mini-programs/${programId}/packages/1.0.0.1/release`));
    const other = (await releasedMiniProgram(admin, 'Manifest Other')).id;
    await step('authorisation', () => admin.put(`/api/v1/host-apps/mf/${appId}/mini-programs/${other}`));
    await step('revocation', () => admin.delete(`/api/v1/host-apps/mf/${appId}/mini-programs/${other}`));
    const asked = await admin.post(`/api/v1/mini-programs/${other}/associations`, { workspaceId: 'mf', appId });
    expect(asked.statusCode, asked.body).toBe(201);
    await step('association approved', () => admin.post(`/api/v1/associations/${asked.json().associationId}/approve`));
    await step('association revoked', () => admin.post(`/api/v1/associations/${asked.json().associationId}/revoke`));
    await step('virtual domain', () => admin.put(`/api/v1/host-apps/mf/${appId}/dev-config`, devConfigForm('mf2.example.com')));
    const disable = await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/mf/${appId}`, payload: { enabled: false } });
    expect(disable.statusCode).toBe(200);
    await step('enable (after a disable)', () =>
      admin.request({ method: 'PATCH', url: `/api/v1/host-apps/mf/${appId}`, payload: { enabled: true } }),
    );
    const key2 = rsaKey();
    await step('key change', () => admin.put(`/api/v1/host-apps/mf/${appId}/dev-config`, devConfigForm('mf2.example.com', key2.pkcs8)));
    const oldFingerprint = createHash('sha256').update(key.spkiDer).digest('hex');
    await step('key retired', () => admin.post(`/api/v1/host-apps/mf/${appId}/previous-keys/${oldFingerprint}/retire`));
    expect((await ask()).parsed.revokedKeys).toEqual([oldFingerprint]);

    // Deleted and made again with the same IDs (a synced host app keeps its mPaaS APPID): above all it ever had.
    const info = (await admin.get(`/api/v1/host-apps/mf/${appId}/manifest`)).json();
    expect(info).toMatchObject({
      generation: seen.at(-1),
      manifestTtlHours: 24,
      keyFingerprint: createHash('sha256').update(key2.spkiDer).digest('hex'),
    });
    expect(info.previousKeys).toEqual([expect.objectContaining({ fingerprintSha256: oldFingerprint, revokedAt: expect.any(String) })]);
    const before = seen.at(-1)!;
    expect((await admin.delete(`/api/v1/host-apps/mf/${appId}`)).statusCode).toBe(204);
    const actor = { username: 'test', role: 'admin' as const, memberships: [], via: 'session' as const, actor: 'test' };
    const recreated = await t.app.services.hostApps.insert(
      { name: 'Manifest Host', workspaceId: 'mf', source: 'mpaas', appId },
      actor,
      'host-app.synced',
    );
    expect(
      (await admin.put(`/api/v1/host-apps/mf/${recreated.appId}/dev-config`, devConfigForm('mf.example.com', rsaKey().pkcs8))).statusCode,
    ).toBe(200);
    expect(await generation()).toBeGreaterThan(before);

    // After a restart: read from the database, never lower.
    const last = await generation();
    t = await t.restart();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = await Client.signIn(t.app);
    expect(await generation()).toBe(last);
  });

  it('refuses to retire the key that signs now (KEY_IN_USE) or one the host app never had (404), for operators only', async () => {
    const current = (await admin.get(`/api/v1/host-apps/mf/${appId}/manifest`)).json().keyFingerprint as string;
    const inUse = await admin.post(`/api/v1/host-apps/mf/${appId}/previous-keys/${current}/retire`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().code).toBe('KEY_IN_USE');
    expect((await admin.post(`/api/v1/host-apps/mf/${appId}/previous-keys/${'0'.repeat(64)}/retire`)).statusCode).toBe(404);
    const viewer = await admin.post('/api/v1/users', { username: 'mf-viewer', password: 'viewer-password-123', role: 'viewer' });
    expect(viewer.statusCode).toBe(201);
    const v = await Client.signIn(t.app, 'mf-viewer', 'viewer-password-123');
    expect((await v.post(`/api/v1/host-apps/mf/${appId}/previous-keys/${current}/retire`)).statusCode).toBe(403);
    expect((await v.get(`/api/v1/host-apps/mf/${appId}/manifest`)).statusCode).toBe(200);
  });

  it('takes concurrent changes of releases and of the host app itself without a deadlock, each raising the generation', async () => {
    const host = (await admin.post('/api/v1/host-apps', { name: 'Busy Host', workspaceId: 'mf' })).json().appId as string;
    await admin.put(`/api/v1/host-apps/mf/${host}/dev-config`, devConfigForm('busy.example.com', key.pkcs8));
    const mp = (await releasedMiniProgram(admin, 'Busy MP')).id;
    await admin.put(`/api/v1/host-apps/mf/${host}/mini-programs/${mp}`);
    const before = (await admin.get(`/api/v1/host-apps/mf/${host}/manifest`)).json().generation as number;
    for (let i = 0; i < 5; i++) {
      const results = await Promise.all([
        admin.post(`/api/v1/mini-programs/${mp}/packages/1.0.0.1/release`),
        admin.request({ method: 'PATCH', url: `/api/v1/host-apps/mf/${host}`, payload: { enabled: i % 2 === 1 } }),
        admin.put(`/api/v1/host-apps/mf/${host}/dev-config`, devConfigForm(`busy${i}.example.com`)),
      ]);
      for (const r of results) expect(r.statusCode, r.body).toBeLessThan(300);
    }
    expect((await admin.get(`/api/v1/host-apps/mf/${host}/manifest`)).json().generation).toBeGreaterThanOrEqual(before + 15);
  });

  it('signs a gray rollout over many devices a bounded number of times, not once per request', async () => {
    const host = (await admin.post('/api/v1/host-apps', { name: 'Gray Host', workspaceId: 'mf' })).json().appId as string;
    await admin.put(`/api/v1/host-apps/mf/${host}/dev-config`, devConfigForm('gray.example.com', key.pkcs8));
    const mp = (await releasedMiniProgram(admin, 'Gray MP')).id;
    await admin.put(`/api/v1/host-apps/mf/${host}/mini-programs/${mp}`);
    const zip = await miniProgramZip('pages/gray/index');
    await admin.post(`/api/v1/mini-programs/${mp}/packages`, packageForm({ version: '1.0.0.2' }, zip));
    expect((await admin.post(`/api/v1/mini-programs/${mp}/packages/1.0.0.2/release`, { rollout: { percent: 50 } })).statusCode).toBe(200);
    const before = t.app.services.gate.manifests.signatures;
    const versions = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const a = await ask(host, { deviceId: `gray-${i}` });
      const v = a.parsed.resources.map((r) => r.version).join();
      versions.set(v, (versions.get(v) ?? 0) + 1);
      expect(verify('sha256', Buffer.from(a.manifest), key.publicPem, Buffer.from(a.manifestSignature, 'base64'))).toBe(true);
    }
    expect([...versions.keys()].sort()).toEqual(['1.0.0.1', '1.0.0.2']); // both halves of the rollout were served
    // Two contents (old version, new version): two signatures for 300 requests.
    expect(t.app.services.gate.manifests.signatures - before).toBe(2);
  });

  it('reuses a signed manifest until half its lifetime has passed, then renews it (controllable clock)', async () => {
    const first = await ask();
    const again = await ask();
    expect(again.manifestSignature).toBe(first.manifestSignature);
    now += 12 * HOUR - 60_000;
    expect((await ask()).parsed.issuedAt).toBe(first.parsed.issuedAt);
    now += 60_000;
    // The old one is still handed out while the new one is signed in the background; then the new one.
    await expect.poll(async () => (await ask()).parsed.issuedAt, { timeout: 10_000 }).toBe(new Date(now).toISOString());
    const renewed = await ask();
    expect(renewed.parsed.generation).toBe(first.parsed.generation);
    expect(Date.parse(renewed.parsed.expiresAt)).toBe(now + 24 * HOUR);
  });
});
