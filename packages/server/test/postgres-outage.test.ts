import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';

/** A TCP proxy to PostgreSQL that the test can cut, to make the database unreachable for one app only. */
async function startProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: async () => {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.runIf(dialects.includes('postgres'))('PostgreSQL outage', () => {
  let t: TestApp;
  let first: TestApp;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    const run = new URL(process.env.MPOP_TEST_PG_RUN_URL!);
    proxy = await startProxy(run);
    const viaProxy = new URL(run);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    first = await startApp('postgres');
    await first.close();
    // A second app on the same schema and data dir (so the same master key), reaching PostgreSQL only through the proxy.
    const query = first.config.databaseUrl.includes('?') ? first.config.databaseUrl.slice(first.config.databaseUrl.indexOf('?')) : '';
    t = await startApp('postgres', { DATABASE_URL: `${viaProxy}${query}`, MPOP_DATA_DIR: first.dataDir });
  });
  afterAll(async () => {
    await t?.destroy();
    await first?.destroy();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, and /readyz 503, when PostgreSQL cannot be reached', async () => {
    const admin = await Client.signIn(t.app);
    expect((await admin.get('/api/v1/host-apps')).statusCode).toBe(200);
    await proxy.cut();
    const res = await admin.get('/api/v1/host-apps');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).not.toMatch(/select|ECONNREFUSED|stack/i);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const client = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId: 'ABCDEF0123456', workspaceId: 'w', platform: 'ios', clientVersion: '1', miniPrograms: {} },
    });
    expect(client.statusCode).toBe(503);
  });
});
