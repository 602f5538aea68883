import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile, Resource as ContractResource } from '@mpop/contracts';
import { MpopClient, MpopError, type MpopConfig, type MpopClientOptions, type Resource } from '../src/index.js';
import { DirectoryCache } from '../src/node.js';
import { devConfigForm } from '../../server/test/helpers/app.js';
import { rsaKey } from '../../server/test/helpers/keys.js';
import { authorisedProgram, hostAppWithProgram, startKitServer, type KitServer } from './helpers.js';

// The client's own types stay assignable to and from the contract's (a compile-time check: npm run typecheck).
const _configFits: MpopConfig = {} as ConfigFile;
const _resourceFits: Resource = {} as ContractResource & { bindingSignature: string };
void _configFits;
void _resourceFits;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fastRetry = { baseDelayMs: 10, maxDelayMs: 50 };
// The kit server is plain http on 127.0.0.1: its package URLs are http.
const allowHttp = true;

describe('@mpop/client against a real server', () => {
  let kit: KitServer;
  const key1 = rsaKey(2048);
  const key2 = rsaKey(2048);
  let host: Awaited<ReturnType<typeof hostAppWithProgram>>;
  let second: Awaited<ReturnType<typeof authorisedProgram>>;

  beforeAll(async () => {
    kit = await startKitServer();
    host = await hostAppWithProgram(kit, 'Kit Host', key1.pkcs8, 'Coupons');
    second = await authorisedProgram(kit, host.appId, 'Wallet', '2.0.0.0');
  });
  afterAll(() => kit.close());

  const client = (opts: Partial<MpopClientOptions> = {}) =>
    new MpopClient({
      config: host.config,
      deviceId: 'device-1',
      platform: 'android',
      clientVersion: '10.2.3',
      retry: fastRetry,
      allowHttp,
      ...opts,
    });
  const resourceOf = async (c: MpopClient, id: string) => (await c.resources({ [id]: '*' })).find((r) => r.miniProgramId === id)!;
  const rejection = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'expected a rejection').toBeInstanceOf(MpopError);
    return err as MpopError;
  };
  const adoption = async (id: string) =>
    (await kit.api('GET', `/api/v1/mini-programs/${id}/adoption?workspaceId=kit&appId=${host.appId}`)).json();

  it('asks the gate, downloads and verifies the package, and reports what the device did', async () => {
    const c = client({ deviceId: 'happy-device' });
    const resources = await c.resources({ [host.program.id]: '*' });
    expect(resources).toHaveLength(1);
    const [r] = resources;
    expect(r).toMatchObject({ miniProgramId: host.program.id, version: '1.0.0.1', sha256: sha256(host.program.zip) });
    expect(typeof r.bindingSignature).toBe('string');
    const bytes = await c.download(r);
    expect(Buffer.from(bytes).equals(host.program.zip)).toBe(true);

    await c.report([{ type: 'launch', miniProgramId: r.miniProgramId, version: r.version }]);
    await c.flush(); // the automatic download/verified events
    const a = await adoption(host.program.id);
    expect(a.versions).toContainEqual({ version: '1.0.0.1', devices: 1, share: 1 });
    expect(a.events).toMatchObject({ download: 1, verified: 1, launch: 1, failure: 0 });
  });

  it('answers every authorised mini program when asked for none in particular', async () => {
    const ids = (await client().resources()).map((r) => r.miniProgramId).sort();
    expect(ids).toEqual([host.program.id, second.id].sort());
  });

  it('rejects a package with a flipped byte with PACKAGE_INTEGRITY and reports the failure', async () => {
    const c = client({ deviceId: 'flip-device', autoReport: true });
    const r = await resourceOf(c, host.program.id);
    kit.proxy.rules.push({
      match: (_m, p) => p.startsWith('/client/v1/packages/'),
      times: 1,
      transform: (body) => {
        const copy = Buffer.from(body);
        copy[Math.floor(copy.length / 2)] ^= 0x01;
        return copy;
      },
    });
    const err = await rejection(c.download(r));
    expect(err.code).toBe('PACKAGE_INTEGRITY');
    await c.flush();
    expect((await adoption(host.program.id)).events.failure).toBeGreaterThanOrEqual(1);
  });

  it('rejects a package served longer than announced with PACKAGE_INTEGRITY', async () => {
    const c = client();
    const r = await resourceOf(c, host.program.id);
    kit.proxy.rules.push({
      match: (_m, p) => p.startsWith('/client/v1/packages/'),
      times: 1,
      transform: (body) => Buffer.concat([body, Buffer.from('trailing')]),
    });
    expect((await rejection(c.download(r))).code).toBe('PACKAGE_INTEGRITY');
  });

  it("rejects a swapped package signature (another package's) with PACKAGE_SIGNATURE", async () => {
    const c = client();
    const all = await c.resources();
    const mine = all.find((r) => r.miniProgramId === host.program.id)!;
    const theirs = all.find((r) => r.miniProgramId === second.id)!;
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      transform: (body) => {
        const answer = JSON.parse(body.toString());
        for (const r of answer.resources) if (r.miniProgramId === mine.miniProgramId) r.signature = theirs.signature;
        return Buffer.from(JSON.stringify(answer));
      },
    });
    const swapped = await resourceOf(c, host.program.id);
    expect(swapped.signature).toBe(theirs.signature);
    expect((await rejection(c.download(swapped))).code).toBe('PACKAGE_SIGNATURE');
  });

  it("rejects another mini program's validly signed package handed out under this one's name with PACKAGE_SIGNATURE", async () => {
    const c = client();
    const all = await c.resources();
    const theirs = all.find((r) => r.miniProgramId === second.id)!;
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      transform: (body) => {
        const answer = JSON.parse(body.toString());
        answer.resources = answer.resources.map((r: Resource) =>
          r.miniProgramId === host.program.id
            ? { ...theirs, miniProgramId: r.miniProgramId, version: r.version } // bytes, hash and both signatures of the other
            : r,
        );
        return Buffer.from(JSON.stringify(answer));
      },
    });
    // The manifest names this mini program's own bytes: the forged answer is refused as a whole.
    expect((await rejection(resourceOf(c, host.program.id))).code).toBe('MANIFEST_MISMATCH');
    const mine = all.find((r) => r.miniProgramId === host.program.id)!;
    const forged = { ...theirs, miniProgramId: mine.miniProgramId, version: mine.version };
    const before = kit.proxy.hitsOf('GET /client/v1/packages/');
    expect((await rejection(c.download(forged))).code).toBe('PACKAGE_SIGNATURE');
    // Refused on the binding before a byte was downloaded; the genuine package of the other still loads.
    expect(kit.proxy.hitsOf('GET /client/v1/packages/')).toBe(before);
    expect(Buffer.from(await c.download(theirs)).equals(second.zip)).toBe(true);
  });

  it('rejects an older package under a newer version with PACKAGE_SIGNATURE', async () => {
    const c = client();
    const r = await resourceOf(c, host.program.id);
    expect((await rejection(c.download({ ...r, version: '9.0.0.0' }))).code).toBe('PACKAGE_SIGNATURE');
  });

  it('rejects a key fingerprint the config file does not list with PACKAGE_SIGNATURE, before downloading', async () => {
    const other = rsaKey(2048);
    const fingerprint = sha256(other.spkiDer);
    const c = client({ config: { ...host.config, publicKeys: [{ fingerprintSha256: fingerprint, pem: other.publicPem }] } });
    const r = await resourceOf(client(), host.program.id);
    // The answer's manifest is refused first: its key is not the build's.
    const refused = await rejection(c.resources({ [host.program.id]: '*' }));
    expect(refused.code).toBe('MANIFEST_SIGNATURE');
    expect(refused.message).toContain(r.keyFingerprint);
    const before = kit.proxy.hitsOf('GET /client/v1/packages/');
    const err = await rejection(c.download(r));
    expect(err.code).toBe('PACKAGE_SIGNATURE');
    expect(err.message).toContain(r.keyFingerprint);
    expect(kit.proxy.hitsOf('GET /client/v1/packages/')).toBe(before);
  });

  it('refuses a config file whose fingerprint does not match its key (INVALID_CONFIG)', async () => {
    const c = client({ config: { ...host.config, publicKeys: [{ ...host.config.publicKeys[0], pem: key2.publicPem }] } });
    // Found on the gate's answer already: its manifest is verified with that key.
    expect((await rejection(c.resources({ [host.program.id]: '*' }))).code).toBe('INVALID_CONFIG');
    expect((await rejection(c.download(await resourceOf(client(), host.program.id)))).code).toBe('INVALID_CONFIG');
  });

  it('retries a 503 with backoff and then succeeds', async () => {
    const before = kit.proxy.hitsOf('POST /client/v1/resources');
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 2,
      respond: (res) => {
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ code: 'DATABASE_UNAVAILABLE', detail: 'down', status: 503 }));
      },
    });
    expect(await client().resources({ [host.program.id]: '*' })).toHaveLength(1);
    expect(kit.proxy.hitsOf('POST /client/v1/resources') - before).toBe(3);
  });

  it("gives up after the retries with the server's code", async () => {
    const before = kit.proxy.hitsOf('POST /client/v1/resources');
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 3,
      respond: (res) => {
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ code: 'DATABASE_UNAVAILABLE', detail: 'The database is down.', status: 503 }));
      },
    });
    const err = await rejection(client({ retry: { ...fastRetry, retries: 2 } }).resources());
    expect(err).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, message: 'The database is down.' });
    expect(kit.proxy.hitsOf('POST /client/v1/resources') - before).toBe(3);
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    const before = kit.proxy.hitsOf('POST /client/v1/resources');
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      respond: (res) => {
        res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ code: 'RATE_LIMITED', detail: 'slow down', status: 429 }));
      },
    });
    const started = Date.now();
    expect(await client().resources({ [host.program.id]: '*' })).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the backoff alone would be at most 50 ms
    expect(kit.proxy.hitsOf('POST /client/v1/resources') - before).toBe(2);
  });

  it('does not retry a 4xx: an unknown host app gets 403 HOST_APP_NOT_REGISTERED at once', async () => {
    const before = kit.proxy.hitsOf('POST /client/v1/resources');
    const err = await rejection(client({ config: { ...host.config, appId: 'ABCDEF0123456' } }).resources());
    expect(err).toMatchObject({ code: 'HOST_APP_NOT_REGISTERED', status: 403 });
    expect(kit.proxy.hitsOf('POST /client/v1/resources') - before).toBe(1);
  });

  it('retries after a dropped connection and after a timeout', async () => {
    kit.proxy.rules.push({ match: (m, p) => m === 'POST' && p === '/client/v1/resources', times: 1, respond: (res) => res.destroy() });
    expect(await client().resources({ [host.program.id]: '*' })).toHaveLength(1);
    const hanging: import('node:http').ServerResponse[] = [];
    kit.proxy.rules.push({ match: (m, p) => m === 'POST' && p === '/client/v1/resources', times: 1, respond: (res) => hanging.push(res) });
    expect(await client({ timeoutMs: 300 }).resources({ [host.program.id]: '*' })).toHaveLength(1);
    expect(hanging).toHaveLength(1);
    for (const res of hanging) res.destroy();
  });

  it('serves a second download of the same package from the cache, verified again', async () => {
    const c = client();
    const r = await resourceOf(c, host.program.id);
    const before = kit.proxy.hitsOf('GET /client/v1/packages/');
    await c.download(r);
    await c.download(r);
    expect(kit.proxy.hitsOf('GET /client/v1/packages/') - before).toBe(1);
    // The cached bytes are still checked against this resource's signatures.
    expect((await rejection(c.download({ ...r, signature: (await resourceOf(c, second.id)).signature }))).code).toBe('PACKAGE_SIGNATURE');
    expect(kit.proxy.hitsOf('GET /client/v1/packages/') - before).toBe(1);
  });

  it('keeps packages in a directory in Node, and downloads again when a cached file was damaged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-client-cache-'));
    try {
      // Each a new process with the same directory: it asks the gate (and checks the manifest) first.
      const started = async () => {
        const c = client({ cache: new DirectoryCache(dir) });
        return { c, r: await resourceOf(c, host.program.id) };
      };
      const first = await started();
      const r = first.r;
      const before = kit.proxy.hitsOf('GET /client/v1/packages/');
      await first.c.download(r);
      expect(fs.readdirSync(dir)).toEqual([`${r.sha256}.zip`]);
      const again = await started();
      await again.c.download(again.r);
      expect(kit.proxy.hitsOf('GET /client/v1/packages/') - before).toBe(1);
      fs.writeFileSync(path.join(dir, `${r.sha256}.zip`), 'damaged');
      const third = await started();
      const bytes = await third.c.download(third.r);
      expect(Buffer.from(bytes).equals(host.program.zip)).toBe(true);
      expect(kit.proxy.hitsOf('GET /client/v1/packages/') - before).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends events in batches of 100 and drops a batch the server refuses (no retry on 400)', async () => {
    const before = kit.proxy.hitsOf('POST /client/v1/events');
    const c = client({ deviceId: 'batch-device' });
    const events = Array.from({ length: 250 }, () => ({ type: 'launch' as const, miniProgramId: second.id, version: '2.0.0.0' }));
    await c.report(events);
    expect(kit.proxy.hitsOf('POST /client/v1/events') - before).toBe(3);
    expect((await adoption(second.id)).events.launch).toBeGreaterThanOrEqual(250);
    const err = await rejection(c.report([{ type: 'launch', miniProgramId: second.id, version: 'not-a-version' }]));
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(kit.proxy.hitsOf('POST /client/v1/events') - before).toBe(4);
    await c.flush();
    expect(kit.proxy.hitsOf('POST /client/v1/events') - before).toBe(4); // nothing left queued
  });

  it('keeps verifying through a key rotation when the config file lists both keys', async () => {
    const rotating = await hostAppWithProgram(kit, 'Kit Rotating', key1.pkcs8, 'Rotation program');
    const oldConfig = rotating.config;
    const base = { deviceId: 'rot-device', platform: 'ios' as const, clientVersion: '1.0', retry: fastRetry, allowHttp };
    const beforeRotation = await resourceOf(new MpopClient({ config: oldConfig, ...base }), rotating.program.id);

    const set = await kit.api('PUT', `/api/v1/host-apps/kit/${rotating.appId}/dev-config`, devConfigForm('mini.example.com', key2.pkcs8));
    expect(set.statusCode).toBe(200);
    const newConfig = (await kit.api('GET', `/api/v1/host-apps/kit/${rotating.appId}/config-file`)).json();
    expect(newConfig.publicKeys.map((k: { fingerprintSha256: string }) => k.fingerprintSha256)).toEqual([
      sha256(key2.spkiDer),
      sha256(key1.spkiDer),
    ]);

    const both = new MpopClient({ config: newConfig, ...base, cache: undefined });
    const afterRotation = await resourceOf(both, rotating.program.id);
    expect(afterRotation.keyFingerprint).toBe(sha256(key2.spkiDer));
    expect(Buffer.from(await both.download(afterRotation)).equals(rotating.program.zip)).toBe(true);
    // An answer signed before the rotation (a cached answer, an instance not yet told) verifies too.
    const fresh = new MpopClient({ config: newConfig, ...base });
    await fresh.resources({ [rotating.program.id]: '*' }); // its manifest names the same version and bytes
    expect(Buffer.from(await fresh.download(beforeRotation)).equals(rotating.program.zip)).toBe(true);
    // A build that embeds only the old key cannot verify the new signatures.
    const oldBuild = new MpopClient({ config: oldConfig, ...base });
    expect((await rejection(oldBuild.download(afterRotation))).code).toBe('PACKAGE_SIGNATURE');
  });
});

describe('the browser build of @mpop/client', () => {
  it('imports no Node-only module (node:*, Buffer, process) outside the node entry', () => {
    const dist = path.resolve(import.meta.dirname, '../dist');
    const files = fs.readdirSync(dist).filter((f) => f.endsWith('.js') && f !== 'node.js');
    expect(files).toContain('index.js');
    for (const f of files) {
      const code = fs.readFileSync(path.join(dist, f), 'utf8');
      expect(code, f).not.toMatch(/from ['"](node:|fs|path|crypto|os)['"]|require\(|\bBuffer\b|process\./);
      for (const m of code.matchAll(/from '(\.[^']+)'/g)) expect(m[1], `${f} imports ${m[1]}`).not.toBe('./node.js');
    }
  });
});
