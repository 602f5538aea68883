import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, MemoryStore, MpopClient, type MpopClientOptions, MpopError } from '../src/index.js';
import { FileStore } from '../src/node.js';
import { devConfigForm } from '../../server/test/helpers/app.js';
import { rsaKey } from '../../server/test/helpers/keys.js';
import { miniProgramZip, packageForm } from '../../server/test/helpers/packages.js';
import { authorisedProgram, hostAppWithProgram, startKitServer, type KitServer } from './helpers.js';

/**
 * The manifest checks of `resources()` against a real server behind a tampering proxy: whoever sits between the host
 * app and the gate (a hostile network, a CDN, a compromised load balancer) may replay, freeze or edit answers, but
 * cannot sign them. Each tampering is refused with its code; the genuine answers go through.
 */

const fastRetry = { baseDelayMs: 10, maxDelayMs: 50 };
const HOUR = 3_600_000;
type Answer = { resources: Record<string, unknown>[]; manifest: string; manifestSignature: string; keyFingerprint: string };

describe('@mpop/client: signed, expiring gate answers', () => {
  let kit: KitServer;
  const key1 = rsaKey(2048);
  const key2 = rsaKey(2048);
  let host: Awaited<ReturnType<typeof hostAppWithProgram>>;

  beforeAll(async () => {
    kit = await startKitServer();
    host = await hostAppWithProgram(kit, 'Manifest Host', key1.pkcs8, 'Manifest Coupons');
  });
  afterAll(() => kit.close());

  const client = (opts: Partial<MpopClientOptions> = {}) =>
    new MpopClient({
      config: host.config,
      deviceId: 'manifest-device',
      platform: 'android',
      clientVersion: '10.2.3',
      retry: fastRetry,
      allowHttp: true,
      store: new MemoryStore(),
      ...opts,
    });
  const codeOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'expected a rejection').toBeInstanceOf(MpopError);
    return (err as MpopError).code;
  };
  /** The next gate answer, changed by `edit` on its way (the proxy). */
  const tamper = (edit: (answer: Answer) => Answer | Buffer) =>
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      transform: (body) => {
        const out = edit(JSON.parse(body.toString()) as Answer);
        return Buffer.isBuffer(out) ? out : Buffer.from(JSON.stringify(out));
      },
    });
  /** Records the genuine answers the proxy passes on. */
  const record = () => {
    const seen: Buffer[] = [];
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      transform: (b) => {
        seen.push(b);
        return b;
      },
    });
    return seen;
  };
  /** Answers the next gate request with these bytes (a replay). */
  const replay = (bytes: Buffer) =>
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      respond: (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
        res.end(bytes);
      },
    });

  it('takes a genuine answer, and a newer one after a change', async () => {
    const c = client();
    const first = await c.resources();
    expect(first.map((r) => r.miniProgramId)).toEqual([host.program.id]);
    const extra = await authorisedProgram(kit, host.appId, 'Manifest Wallet');
    const second = await c.resources();
    expect(second.map((r) => r.miniProgramId).sort()).toEqual([host.program.id, extra.id].sort());
    expect(Buffer.from(await c.download(second.find((r) => r.miniProgramId === extra.id)!)).equals(extra.zip)).toBe(true);
  });

  it('refuses an older answer replayed after a newer one was accepted (MANIFEST_ROLLBACK), even after a restart', async () => {
    const store = new MemoryStore();
    const c = client({ store });
    const seen = record();
    await c.resources();
    const old = seen[0];
    const extra = await authorisedProgram(kit, host.appId, 'Manifest Replay');
    await c.resources(); // the newer generation
    replay(old);
    expect(await codeOf(c.resources())).toBe('MANIFEST_ROLLBACK');
    // A new process with the same store remembers the generation it accepted.
    replay(old);
    expect(await codeOf(client({ store }).resources())).toBe('MANIFEST_ROLLBACK');
    // The genuine answer still goes through.
    expect((await c.resources()).map((r) => r.miniProgramId)).toContain(extra.id);
  });

  it('refuses the answer from before a scheduled rollout step once it has seen the one after it (MANIFEST_ROLLBACK)', async () => {
    // A mini program of its own for this host app, 1.0.0.1 released, 2.0.0.1 going to every device in a second or two.
    const own = await authorisedProgram(kit, host.appId, 'Manifest Scheduled');
    const zip = await miniProgramZip('pages/next/index', { 'name.txt': 'next' });
    expect((await kit.api('POST', `/api/v1/mini-programs/${own.id}/packages`, packageForm({ version: '2.0.0.1' }, zip))).statusCode).toBe(
      201,
    );
    const at = new Date(Date.now() + 1500).toISOString();
    const rel = await kit.api('POST', `/api/v1/mini-programs/${own.id}/packages/2.0.0.1/release`, {
      rollout: { percent: 0, steps: [{ percent: 100, at }] },
    });
    expect(rel.statusCode, rel.body).toBe(200);
    const store = new MemoryStore();
    const c = client({ store });
    const generationOf = (bytes: Buffer) => (JSON.parse(JSON.parse(bytes.toString()).manifest) as Manifest).generation;
    const seen = record();
    const before = await c.resources();
    expect(before.find((r) => r.miniProgramId === own.id)?.version).toBe('1.0.0.1');
    const old = seen[0];
    // No write happens at the step's time: the server raises the generation by itself, within seconds.
    await expect
      .poll(
        async () => {
          const now = record();
          await c.resources();
          return generationOf(now[0]);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeGreaterThan(generationOf(old));
    expect((await c.resources()).find((r) => r.miniProgramId === own.id)?.version).toBe('2.0.0.1');
    replay(old);
    expect(await codeOf(c.resources())).toBe('MANIFEST_ROLLBACK');
  });

  it('refuses a flipped mandatory flag, a dropped resource, an added one and another host app (MANIFEST_MISMATCH)', async () => {
    const c = client();
    tamper((a) => ({ ...a, resources: a.resources.map((r) => ({ ...r, mandatory: !r.mandatory })) }));
    expect(await codeOf(c.resources())).toBe('MANIFEST_MISMATCH');
    tamper((a) => ({ ...a, resources: a.resources.slice(1) }));
    expect(await codeOf(c.resources())).toBe('MANIFEST_MISMATCH');
    tamper((a) => ({ ...a, resources: [...a.resources, { ...a.resources[0], version: '9.9.9.9' }] }));
    expect(await codeOf(c.resources())).toBe('MANIFEST_MISMATCH');
    tamper((a) => ({ ...a, resources: a.resources.map((r) => ({ ...r, packageUrl: 'https://evil.example.com/p.zip' })) }));
    expect(await codeOf(c.resources())).toBe('MANIFEST_MISMATCH');
    // Another host app's genuine, validly signed answer (same key): not this app's.
    const other = await hostAppWithProgram(kit, 'Manifest Other', key1.pkcs8, 'Other program');
    const seen: Buffer[] = [];
    const otherClient = client({ config: other.config });
    kit.proxy.rules.push({
      match: (m, p) => m === 'POST' && p === '/client/v1/resources',
      times: 1,
      transform: (b) => {
        seen.push(b);
        return b;
      },
    });
    await otherClient.resources();
    replay(seen[0]);
    expect(await codeOf(c.resources())).toBe('MANIFEST_MISMATCH');
    expect((await c.resources()).length).toBeGreaterThan(0);
  });

  it('refuses a broken or missing signature (MANIFEST_SIGNATURE)', async () => {
    const c = client();
    tamper((a) => {
      const sig = Buffer.from(a.manifestSignature, 'base64');
      sig[10] ^= 0x01;
      return { ...a, manifestSignature: sig.toString('base64') };
    });
    expect(await codeOf(c.resources())).toBe('MANIFEST_SIGNATURE');
    tamper((a) => ({ ...a, manifest: a.manifest.replace('"mandatory":false', '"mandatory":true') }));
    expect(await codeOf(c.resources())).toBe('MANIFEST_SIGNATURE');
    tamper((a) => Buffer.from(JSON.stringify({ resources: a.resources })));
    expect(await codeOf(c.resources())).toBe('MANIFEST_SIGNATURE');
  });

  it('refuses an expired manifest (MANIFEST_EXPIRED), allowing 5 minutes of clock skew', async () => {
    const seen = record();
    await client().resources();
    const expiresAt = Date.parse((JSON.parse(JSON.parse(seen[0].toString()).manifest) as Manifest).expiresAt);
    expect(await codeOf(client({ now: () => expiresAt + 5 * 60_000 + 1 }).resources())).toBe('MANIFEST_EXPIRED');
    expect((await client({ now: () => expiresAt + 4 * 60_000 }).resources()).length).toBeGreaterThan(0);
    // A frozen answer replayed a day later, to a device whose clock is right.
    replay(seen[0]);
    expect(await codeOf(client({ now: () => Date.now() + 25 * HOUR }).resources())).toBe('MANIFEST_EXPIRED');
  });

  it('refuses package URLs that are not https unless allowed, and a vhost other than the config file says', async () => {
    // The kit server is plain http: a client for production refuses it.
    expect(await codeOf(client({ allowHttp: false }).resources())).toBe('MANIFEST_MISMATCH');
    expect(await codeOf(client({ config: { ...host.config, virtualDomain: 'elsewhere.example.com' } }).resources())).toBe(
      'MANIFEST_MISMATCH',
    );
  });

  it('downloads only what an accepted manifest names, capped at its signed size', async () => {
    const c = client();
    const [r] = await c.resources({ [host.program.id]: '*' });
    expect(await codeOf(client().download(r))).toBe('MANIFEST_MISMATCH'); // no manifest accepted yet
    expect(await codeOf(c.download({ ...r, size: r.size + 10 }))).toBe('MANIFEST_MISMATCH');
    kit.proxy.rules.push({
      match: (_m, p) => p.startsWith('/client/v1/packages/'),
      times: 1,
      transform: (body) => Buffer.concat([body, Buffer.alloc(1000)]),
    });
    expect(await codeOf(c.download(r))).toBe('PACKAGE_INTEGRITY');
    expect(Buffer.from(await c.download(r)).equals(host.program.zip)).toBe(true);
  });

  it('reports a mini program a newer manifest no longer names as removed', async () => {
    const removedSeen: string[][] = [];
    const c = client({ onRemoved: (ids) => removedSeen.push(ids) });
    const gone = await authorisedProgram(kit, host.appId, 'Manifest Gone');
    expect((await c.resources()).map((r) => r.miniProgramId)).toContain(gone.id);
    expect(c.removed).toEqual([]);
    expect((await kit.api('POST', `/api/v1/mini-programs/${gone.id}/take-down`)).statusCode).toBe(200);
    const after = await c.resources();
    expect(after.map((r) => r.miniProgramId)).not.toContain(gone.id);
    expect(c.removed).toEqual([gone.id]);
    expect(removedSeen).toEqual([[gone.id]]);
    await c.resources();
    expect(c.removed).toEqual([]); // reported once
  });

  it("refuses a retired key's manifests and packages once a manifest named it, and remembers it in the store", async () => {
    const rotating = await hostAppWithProgram(kit, 'Manifest Rotating', key1.pkcs8, 'Rotating program');
    const oldFingerprint = createHash('sha256').update(key1.spkiDer).digest('hex');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-client-state-'));
    const file = path.join(dir, 'state.json');
    try {
      const base = { deviceId: 'rot-manifest', platform: 'ios' as const, clientVersion: '1.0', retry: fastRetry, allowHttp: true };
      const seen = record();
      const oldClient = new MpopClient({ config: rotating.config, ...base, store: new MemoryStore() });
      const [oldResource] = await oldClient.resources();
      const oldAnswer = seen[0];

      expect(
        (await kit.api('PUT', `/api/v1/host-apps/kit/${rotating.appId}/dev-config`, devConfigForm('mini.example.com', key2.pkcs8)))
          .statusCode,
      ).toBe(200);
      const config = { ...(await kit.api('GET', `/api/v1/host-apps/kit/${rotating.appId}/config-file`)).json() };
      expect(config.publicKeys).toHaveLength(2); // the replaced key is still listed: builds keep verifying it
      const retire = await kit.api('POST', `/api/v1/host-apps/kit/${rotating.appId}/previous-keys/${oldFingerprint}/retire`);
      expect(retire.statusCode, retire.body).toBe(200);

      const c = new MpopClient({ config, ...base, store: new FileStore(file) });
      const [fresh] = await c.resources();
      expect(fresh.keyFingerprint).not.toBe(oldFingerprint);
      // The package signed with the retired key: refused, though the config file lists the key.
      expect(await codeOf(c.download(oldResource))).toBe('PACKAGE_SIGNATURE');
      // The old answer (old key) replayed: refused for its key before anything else.
      replay(oldAnswer);
      expect(await codeOf(c.resources())).toBe('MANIFEST_SIGNATURE');
      // A restarted app with the same state file remembers the retired key and the generation.
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({
        [`mpop:kit:${rotating.appId}:revokedKeys`]: JSON.stringify([oldFingerprint]),
      });
      const restarted = new MpopClient({ config, ...base, store: new FileStore(file) });
      replay(oldAnswer);
      expect(await codeOf(restarted.resources())).toBe('MANIFEST_SIGNATURE');
      expect(await codeOf(restarted.download(oldResource))).toBe('PACKAGE_SIGNATURE');
      expect(Buffer.from(await c.download(fresh)).equals(rotating.program.zip)).toBe(true);
      // The config file no longer lists the retired key.
      const after = (await kit.api('GET', `/api/v1/host-apps/kit/${rotating.appId}/config-file`)).json();
      expect(after.publicKeys.map((k: { fingerprintSha256: string }) => k.fingerprintSha256)).not.toContain(oldFingerprint);
      expect(fs.readdirSync(dir)).toEqual(['state.json']); // written atomically: no temporary file left behind
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
