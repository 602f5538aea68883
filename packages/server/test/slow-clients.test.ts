import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { LocalPackageStore } from '../src/modules/mini-programs/local-package-store.js';
import { TIMEOUTS } from '../src/plugins/app/slow-clients.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { incompressibleZip, packageForm } from './helpers/packages.js';

/** The bytes and content type a browser would send for a form. */
async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const req = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

interface Trickle {
  /** Milliseconds from the first byte until the server closed the connection. */
  closedAfterMs: number;
  /** What the server said before closing. */
  answer: string;
}

/**
 * Opens a raw connection, sends `head` at once, then `tail` one byte every `everyMs`, and waits for the server to
 * close the connection (or `giveUpMs`, which fails the test).
 */
function trickle(port: number, head: string | Buffer, tail: Buffer, everyMs: number, giveUpMs: number): Promise<Trickle> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a trickling connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('error', () => {}); // a reset is one way of being cut off
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (i < tail.length && socket.writable) socket.write(tail.subarray(i, ++i));
      }, everyMs);
    });
  });
}

/** Sends `body` after `head` at a steady `bytesPerSecond`, in 64 KiB writes, and resolves with the full answer. */
function steadyUpload(port: number, head: string, body: Buffer, bytesPerSecond: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
    socket.on('connect', async () => {
      socket.write(head);
      const chunk = 64 * 1024;
      for (let at = 0; at < body.length; at += chunk) {
        socket.write(body.subarray(at, at + chunk));
        await new Promise((r) => setTimeout(r, (chunk / bytesPerSecond) * 1000));
      }
    });
  });
}

/** The bound a trickling client must be cut off within: one rate window, one check and plenty of slack for a busy machine. */
const CUT_OFF_WITHIN_MS = TIMEOUTS.bodyWindowMs * 2 + 10_000;

describe.each(dialects)('slow clients on %s', (dialect) => {
  let t: TestApp;
  let port: number;
  let admin: Client;
  let cookie: string;
  let id: string;
  beforeAll(async () => {
    t = await startApp(dialect, { MPOP_MAX_PACKAGE_BYTES: String(64 * 1024 * 1024) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as net.AddressInfo).port;
    admin = await Client.signIn(t.app);
    cookie = admin.cookie!;
    id = (await admin.post('/api/v1/mini-programs', { name: 'Slow uploads' })).json().miniProgramId;
  });
  afterAll(() => t.destroy());

  const uploadHead = (contentType: string, length: number) =>
    `POST /api/v1/mini-programs/${id}/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: http://mpop.test\r\n` +
    `Cookie: ${cookie}\r\n` +
    `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`;

  it.concurrent('answers 408 and closes a JSON body trickled one byte every 5 s, within the bound', async ({ expect }) => {
    const body = Buffer.from(JSON.stringify({ username: 'admin', password: 'a-long-guess-1234567890' }));
    const head = `POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await trickle(port, head, body, 5_000, CUT_OFF_WITHIN_MS + 30_000);
    expect(r.closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it.concurrent('answers 408 and closes a gate request whose body trickles in (the fast path guards it too)', async ({ expect }) => {
    const ask = (appId: string) => JSON.stringify({ appId, workspaceId: 'slow', platform: 'ios', clientVersion: '1.0', miniPrograms: {} });
    // Once the route has answered one request, the gate's fast path takes the next ones (resources-fast-path.ts).
    const first = await fetch(`http://127.0.0.1:${port}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ask('NOSUCHAPP'),
    });
    expect(first.status).toBe(403); // not registered: answered by the route
    const body = Buffer.from(ask('NOSUCHAPP2'));
    const head = `POST /client/v1/resources HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await trickle(
      port,
      Buffer.concat([Buffer.from(head), body.subarray(0, 5)]),
      body.subarray(5),
      5_000,
      CUT_OFF_WITHIN_MS + 30_000,
    );
    expect(r.closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it.concurrent('closes a connection whose headers trickle in, within the header timeout', async ({ expect }) => {
    const r = await trickle(
      port,
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      Buffer.from('X-Slow: abcdefghijklmnopqrstuvwxyz\r\n\r\n'),
      2_000,
      TIMEOUTS.headersMs + 40_000,
    );
    expect(r.closedAfterMs).toBeLessThan(TIMEOUTS.headersMs + 10_000);
    expect(r.answer).not.toMatch(/200 OK/);
  });

  it.concurrent('closes a connection that never sends a request, within the header timeout', async ({ expect }) => {
    const r = await trickle(port, '', Buffer.alloc(0), 1_000, TIMEOUTS.headersMs + 40_000);
    expect(r.closedAfterMs).toBeLessThan(TIMEOUTS.headersMs + 10_000);
  });

  it.concurrent('cuts off a package upload that stalls mid-body and leaves no temporary file', async ({ expect }) => {
    const { body, contentType } = await encodeForm(packageForm({ version: '1.0.0.1' }, await incompressibleZip(256 * 1024)));
    const head = Buffer.concat([Buffer.from(uploadHead(contentType, body.length)), body.subarray(0, 100 * 1024)]);
    const staging = (t.app.packageStore as LocalPackageStore).staging.dir;
    const before = new Set(fs.readdirSync(staging));
    const r = await trickle(port, head, body.subarray(100 * 1024), 5_000, CUT_OFF_WITHIN_MS + 30_000);
    expect(r.closedAfterMs).toBeLessThan(CUT_OFF_WITHIN_MS);
    // This upload's file: one made since, no larger than what was sent (the other uploads of this suite may be
    // arriving meanwhile, in files of their own that soon outgrow it).
    const mine = fs
      .readdirSync(staging)
      .filter((f) => !before.has(f) && (fs.statSync(path.join(staging, f), { throwIfNoEntry: false })?.size ?? 0) <= body.length);
    await expect.poll(() => mine.filter((f) => fs.existsSync(path.join(staging, f))), { timeout: 20_000 }).toEqual([]);
    expect((await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items.map((p: { version: string }) => p.version)).not.toContain(
      '1.0.0.1',
    );
  });

  it.concurrent('accepts a 3 MiB upload sent steadily at 256 KiB/s (longer than a rate window)', async ({ expect }) => {
    const { body, contentType } = await encodeForm(packageForm({ version: '2.0.0.1' }, await incompressibleZip(3 * 1024 * 1024)));
    const answer = await steadyUpload(port, uploadHead(contentType, body.length), body, 256 * 1024);
    expect(answer).toMatch(/^HTTP\/1\.1 201/);
  }, 60_000);

  it.concurrent('accepts a 48 MiB upload at full speed', async ({ expect }) => {
    const zip = await incompressibleZip(48 * 1024 * 1024);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/mini-programs/${id}/packages`, {
      method: 'POST',
      headers: { cookie, origin: 'http://mpop.test' },
      body: packageForm({ version: '3.0.0.1' }, zip),
    });
    expect(res.status).toBe(201);
    expect((await res.json()).size).toBe(zip.length);
  }, 60_000);
});
