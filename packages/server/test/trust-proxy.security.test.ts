import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, devConfigForm, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { run, type Run } from './helpers/process.js';

/**
 * MPOP_TRUST_PROXY behind a real proxy: a separate Node.js process (helpers/forwarding-proxy.mjs) that forwards
 * from 127.0.0.2 and appends the client's address to X-Forwarded-For, in front of the server on a real port.
 * Clients connect from other loopback addresses (127.0.0.5, 127.0.0.6, …), so every party has its own address.
 */
const PROXY_SOURCE = '127.0.0.2';
const PROXY_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'helpers/forwarding-proxy.mjs');
const SPOOFED = '203.0.113.9';

interface Answer {
  status: number;
  body: string;
}

/** One request to 127.0.0.1:`port`, sent from the loopback address `from`. */
function send(
  port: number,
  from: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method,
        path: url,
        agent: false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function startProxy(target: number): Promise<{ port: number; proxy: Run }> {
  const proxy = run(process.execPath, [PROXY_SCRIPT, String(target)], { PROXY_SOURCE_ADDRESS: PROXY_SOURCE });
  const until = Date.now() + 20_000;
  while (!/^\d+\n/.test(proxy.stdout())) {
    if (Date.now() > until || proxy.child.exitCode !== null) throw new Error(`the proxy did not start: ${proxy.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port: Number.parseInt(proxy.stdout(), 10), proxy };
}

interface Setup {
  t: TestApp;
  admin: Client;
  serverPort: number;
  proxyPort: number;
  proxy: Run;
  appId: string;
}

async function setup(trustProxy: string | undefined, env: Record<string, string> = {}): Promise<Setup> {
  const t = await startApp('sqlite', { ...(trustProxy === undefined ? {} : { MPOP_TRUST_PROXY: trustProxy }), ...env });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const serverPort = (t.app.server.address() as AddressInfo).port;
  const { port: proxyPort, proxy } = await startProxy(serverPort);
  const admin = await Client.signIn(t.app);
  const { appId } = (await admin.post('/api/v1/host-apps', { name: 'Behind A Proxy', workspaceId: 'proxy' })).json();
  expect(
    (await admin.put(`/api/v1/host-apps/proxy/${appId}/dev-config`, devConfigForm('proxy.example.com', rsaKey().pkcs8))).statusCode,
  ).toBe(200);
  return { t, admin, serverPort, proxyPort, proxy, appId };
}

async function teardown(s: Setup | undefined) {
  if (!s) return;
  s.proxy.child.kill('SIGTERM');
  await s.proxy.exited;
  await s.t.destroy();
}

/** The address the server saw: a failed sign-in records it in the audit log. */
async function seenAddress(s: Setup, port: number, from: string, headers: Record<string, string> = {}): Promise<string> {
  const username = `probe-${Math.random().toString(36).slice(2, 10)}`;
  const res = await send(port, from, 'POST', '/api/v1/session', { username, password: 'wrong-password-123' }, headers);
  expect(res.status).toBe(401);
  const events = (await s.admin.get(`/api/v1/audit-events?action=session.failed&target=${username}`)).json();
  expect(events.items).toHaveLength(1);
  // The event's address and the throttle's (in details) are the same one.
  expect(events.items[0].address).toBe(events.items[0].details.address);
  return events.items[0].address;
}

/** The status of one gate request from a client at `from`, through the proxy. */
const ask = (s: Setup, from: string, deviceId: string, headers: Record<string, string> = {}) =>
  send(
    s.proxyPort,
    from,
    'POST',
    '/client/v1/resources',
    { appId: s.appId, workspaceId: 'proxy', platform: 'ios', clientVersion: '1.0', miniPrograms: {}, deviceId },
    headers,
  ).then((a) => a.status);

describe('MPOP_TRUST_PROXY behind a real proxy', () => {
  describe.each([
    ['a hop count', '1'],
    ['true', 'true'],
    ['the proxy address', PROXY_SOURCE],
    ['a CIDR holding the proxy', '127.0.0.0/30'],
    ['a list of CIDRs and addresses', '10.0.0.0/8, 127.0.0.2,fd00::/8'],
  ])('set to %s (%s)', (_label, value) => {
    let s: Setup | undefined;
    beforeAll(async () => {
      s = await setup(value, { MPOP_RATE_LIMIT_PER_ADDRESS: '3', MPOP_RATE_LIMIT_PER_DEVICE: '0' });
    });
    afterAll(() => teardown(s));

    it("sees the client's own address, not the proxy's", async () => {
      expect(await seenAddress(s!, s!.proxyPort, '127.0.0.5')).toBe('127.0.0.5');
      expect(await seenAddress(s!, s!.proxyPort, '127.0.0.6')).toBe('127.0.0.6');
    });

    it('gives each client behind the proxy its own per-address rate-limit budget (route and fast path)', async () => {
      const first = [];
      for (let i = 0; i < 4; i++) first.push(await ask(s!, '127.0.0.7', `a${i}`));
      expect(first).toEqual([200, 200, 200, 429]);
      // Another client behind the same proxy is not held to the first one's budget.
      expect(await ask(s!, '127.0.0.8', 'b0')).toBe(200);
    });
  });

  describe.each([
    ['a hop count', '1'],
    ['the proxy address', PROXY_SOURCE],
    ['a CIDR holding the proxy', '127.0.0.0/30'],
  ])('set to %s (%s): an X-Forwarded-For the client wrote itself', (_label, value) => {
    let s: Setup | undefined;
    beforeAll(async () => {
      s = await setup(value);
    });
    afterAll(() => teardown(s));

    it('is ignored when it comes through the proxy: the address the proxy saw counts', async () => {
      expect(await seenAddress(s!, s!.proxyPort, '127.0.0.5', { 'x-forwarded-for': SPOOFED })).toBe('127.0.0.5');
    });

    if (value !== '1') {
      // A hop count trusts the nearest hop whoever it is: that form is only for a server nobody reaches directly.
      it('is ignored when it comes from a peer that is not a trusted proxy', async () => {
        expect(await seenAddress(s!, s!.serverPort, '127.0.0.6', { 'x-forwarded-for': SPOOFED })).toBe('127.0.0.6');
      });
    }
  });

  describe('unset', () => {
    let s: Setup | undefined;
    beforeAll(async () => {
      s = await setup(undefined);
    });
    afterAll(() => teardown(s));

    it("sees the proxy's address for everyone behind it, and never believes X-Forwarded-For", async () => {
      expect(await seenAddress(s!, s!.proxyPort, '127.0.0.5')).toBe(PROXY_SOURCE);
      expect(await seenAddress(s!, s!.serverPort, '127.0.0.6', { 'x-forwarded-for': SPOOFED })).toBe('127.0.0.6');
    });
  });

  describe('set to 1: twenty wrong sign-ins from one client behind the proxy', () => {
    let s: Setup | undefined;
    beforeAll(async () => {
      s = await setup('1');
    });
    afterAll(() => teardown(s));

    it('lock out that client only; the admin still signs in through the proxy from elsewhere', async () => {
      for (let i = 0; i < 20; i++) {
        const res = await send(s!.proxyPort, '127.0.0.5', 'POST', '/api/v1/session', {
          username: `nobody${i}`,
          password: 'wrong-password-1',
        });
        expect(res.status).toBe(401);
      }
      const locked = await send(s!.proxyPort, '127.0.0.5', 'POST', '/api/v1/session', ADMIN);
      expect(locked.status).toBe(429);
      expect(JSON.parse(locked.body)).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
      expect((await send(s!.proxyPort, '127.0.0.6', 'POST', '/api/v1/session', ADMIN)).status).toBe(200);
    });
  });
});
