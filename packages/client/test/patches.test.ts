import { createHash } from 'node:crypto';
import { createDelta } from 'fossil-delta';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePair } from '../../../bench/mini-program-packages.mjs';
import { encodeChunked } from '../../server/src/modules/patches/chunked-delta.js';
import { packageForm } from '../../server/test/helpers/packages.js';
import { rsaKey } from '../../server/test/helpers/keys.js';
import { applyPatch, applyPatchAsync, MpopClient, PatchError, type Resource } from '../src/index.js';
import { hostAppWithProgram, type KitServer, startKitServer } from './helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** A well-formed patch (as the server makes them) from `a` to `b`. */
const makePatch = (a: Uint8Array, b: Uint8Array, chunkSize = 64 * 1024) => {
  const made = encodeChunked(a, b, b.length * 2 + 1024, chunkSize, createDelta)!;
  return Buffer.from(made.buffer.subarray(0, made.length));
};

describe('@mpop/client downloads through a patch, against a real server', () => {
  let kit: KitServer;
  let host: Awaited<ReturnType<typeof hostAppWithProgram>>;
  let id: string;
  let from: Buffer;
  let to: Buffer;

  beforeAll(async () => {
    kit = await startKitServer();
    host = await hostAppWithProgram(kit, 'Patch Host', rsaKey(2048).pkcs8, 'Patched');
    ({ from, to } = await packagePair('one-file-changed', 31, 600_000));
    id = (await kit.api('POST', '/api/v1/mini-programs', { name: 'Two versions' })).json().miniProgramId;
    for (const [version, zip] of [
      ['1.0.0.1', from],
      ['1.0.0.2', to],
    ] as const) {
      const up = await kit.api('POST', `/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip));
      if (up.statusCode !== 201) throw new Error(up.body);
      if (version === '1.0.0.1') await kit.api('PUT', `/api/v1/host-apps/kit/${host.appId}/mini-programs/${id}`);
      await kit.api('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`);
    }
    await kit.t.app.services.patches.idle();
  });
  afterAll(() => kit.close());

  const client = (deviceId: string) =>
    new MpopClient({
      config: host.config,
      deviceId,
      platform: 'android',
      clientVersion: '10.2.3',
      retry: { retries: 0 },
      reportDelayMs: 60_000,
      allowHttp: true, // the kit server is plain http on 127.0.0.1
    });
  const offered = async (c: MpopClient): Promise<Resource> => {
    const [r] = await c.resources({ [id]: '1.0.0.1' });
    expect(r.patch, 'the gate offers a patch from 1.0.0.1').toMatchObject({ fromVersion: '1.0.0.1', fromSha256: sha256(from) });
    return r;
  };
  const hits = () => ({ packages: kit.proxy.hitsOf('GET /client/v1/packages/'), patches: kit.proxy.hitsOf('GET /client/v1/patches/') });
  const adoption = async () => (await kit.api('GET', `/api/v1/mini-programs/${id}/adoption`)).json();

  it('rebuilds the new package from the bytes the device has and the patch, checks it, and reports the bytes saved', async () => {
    const c = client('patched-device');
    await c.resources({}); // the route's first answer teaches the fast path the request's validator
    const fastPath = kit.t.app.gateFastPath.answered;
    const r = await offered(c);
    expect(kit.t.app.gateFastPath.answered, 'the fast path offered it').toBe(fastPath + 1);
    const before = hits();
    const bytes = await c.download(r, { current: from });
    expect(Buffer.from(bytes).equals(to)).toBe(true);
    expect(hits()).toEqual({ packages: before.packages, patches: before.patches + 1 }); // the patch only
    expect(r.patch!.size).toBeLessThan(to.length / 5);

    await c.flush();
    const a = await adoption();
    expect(a.patches).toEqual({ downloads: 1, bytesSaved: to.length - r.patch!.size });
    expect(a.events).toMatchObject({ download: 1, verified: 1, failure: 0 });
  });

  it('downloads the full package, without asking for the patch, when the bytes the device has are not the patch’s base', async () => {
    const c = client('wrong-base-device');
    const r = await offered(c);
    const before = hits();
    const other = Buffer.from(from);
    other[100] ^= 1;
    const bytes = await c.download(r, { current: other });
    expect(Buffer.from(bytes).equals(to)).toBe(true);
    expect(hits()).toEqual({ packages: before.packages + 1, patches: before.patches });
  });

  it('falls back to the full package when the patch is corrupt on the way, and the result still verifies', async () => {
    const c = client('corrupt-patch-device');
    const r = await offered(c);
    kit.proxy.rules.push({
      match: (_m, p) => p.startsWith('/client/v1/patches/'),
      times: 1,
      transform: (body) => {
        const copy = Buffer.from(body);
        copy[Math.floor(copy.length / 2)] ^= 0x01;
        return copy;
      },
    });
    const before = hits();
    const bytes = await c.download(r, { current: from });
    expect(Buffer.from(bytes).equals(to)).toBe(true);
    expect(hits()).toEqual({ packages: before.packages + 1, patches: before.patches + 1 });
    const savedBefore = (await adoption()).patches.bytesSaved;
    await c.flush();
    expect((await adoption()).patches.bytesSaved).toBe(savedBefore); // a fallback saved nothing
  });

  it('falls back to the full package when a tampered answer hands a well-formed patch that makes other bytes', async () => {
    // Someone who can alter the gate's answer and the patch: a valid patch of the right size to a doctored package.
    const evil = Buffer.from(to);
    evil[evil.length - 200] ^= 0xff;
    const evilPatch = makePatch(new Uint8Array(from), new Uint8Array(evil));
    kit.proxy.rules.push(
      {
        match: (m, p) => m === 'POST' && p === '/client/v1/resources',
        times: 1,
        transform: (body) => {
          const answer = JSON.parse(body.toString('utf8'));
          answer.resources[0].patch.sha256 = sha256(evilPatch);
          answer.resources[0].patch.size = evilPatch.length;
          return Buffer.from(JSON.stringify(answer));
        },
      },
      { match: (_m, p) => p.startsWith('/client/v1/patches/'), times: 1, respond: (res) => res.end(evilPatch) },
    );
    const c = client('tampered-patch-device');
    const r = await offered(c);
    expect(r.patch!.sha256).toBe(sha256(evilPatch));
    const before = hits();
    const bytes = await c.download(r, { current: from });
    expect(Buffer.from(bytes).equals(to)).toBe(true);
    expect(sha256(bytes)).toBe(r.sha256);
    expect(hits()).toEqual({ packages: before.packages + 1, patches: before.patches + 1 });
  });

  it('applyPatch refuses a patch that reads past its base or writes past the announced size', () => {
    const patch = makePatch(new Uint8Array(from), new Uint8Array(to));
    expect(Buffer.from(applyPatch(new Uint8Array(from), new Uint8Array(patch), to.length)).equals(to)).toBe(true);
    expect(() => applyPatch(new Uint8Array(from.subarray(0, 1000)), new Uint8Array(patch), to.length)).toThrow(PatchError);
    expect(() => applyPatch(new Uint8Array(from), new Uint8Array(patch), to.length - 1)).toThrow(PatchError);
    expect(() => applyPatch(new Uint8Array(from), new Uint8Array(patch.subarray(0, patch.length - 10)), to.length)).toThrow(PatchError);
    // A bare fossil delta (not this format), and a chunk whose copy reads past the base.
    expect(() => applyPatch(new Uint8Array(from), new TextEncoder().encode('5\n5@999999999,0;'), 5)).toThrow(PatchError);
    const reads = makePatch(new Uint8Array(from), new Uint8Array(from.subarray(from.length - 5000)), 8192);
    reads.writeUInt32BE(4000, 14); // its header now names a 4,000-byte base: the copies from the end read past it
    expect(() => applyPatch(new Uint8Array(from.subarray(0, 4000)), new Uint8Array(reads), 5000)).toThrow(/past end of input/);
  });

  it('applyPatchAsync gives the event loop a turn between chunks, and the same bytes and refusals', async () => {
    const patch = new Uint8Array(makePatch(new Uint8Array(from), new Uint8Array(to), 32 * 1024));
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const bytes = await applyPatchAsync(new Uint8Array(from), patch, to.length);
      expect(Buffer.from(bytes).equals(to)).toBe(true);
      expect(turns, 'timers ran while it applied').toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
    await expect(applyPatchAsync(new Uint8Array(from), patch, to.length - 1)).rejects.toThrow(PatchError);
    await expect(applyPatchAsync(new Uint8Array(from), patch.subarray(0, patch.length - 1), to.length)).rejects.toThrow(PatchError);
  });
});
