import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, startApp, type TestApp } from './helpers/app.js';
import { incompressibleZip, packageForm } from './helpers/packages.js';

/**
 * Closing the server (what SIGTERM does) while clients hold keep-alive connections: it must not wait for them to
 * go away, and a download in flight must still finish. On Node 20 a connection that had just streamed a package
 * was not seen as idle, and `app.close()` waited for the 72 s keep-alive timeout.
 */
describe('closing the server with keep-alive clients', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  async function serveAPackage(bytes: number) {
    t = await startApp('sqlite');
    const admin = await Client.signIn(t.app);
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Downloads' })).json().miniProgramId;
    const zip = await incompressibleZip(bytes);
    const up = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.1' }, zip));
    expect(up.statusCode, up.body).toBe(201);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    return { app: t.app, url: `http://127.0.0.1:${port}/client/v1/packages/${up.json().sha256}.zip`, size: zip.length };
  }

  it('closes at once although a client keeps its connection open after downloading packages', async () => {
    const { app, url, size } = await serveAPackage(4 * 1024 * 1024);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<Buffer>((resolve, reject) =>
        http
          .get(url, { agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
          })
          .on('error', reject),
      );
      expect(body.length).toBe(size);
    }
    expect(await new Promise<number>((r) => app.server.getConnections((_e, n) => r(n)))).toBe(1);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(10_000); // was the 72 s keep-alive timeout
    agent.destroy();
  });

  it('lets a download in flight finish, then closes its connection', async () => {
    const { app, url, size } = await serveAPackage(8 * 1024 * 1024);
    const agent = new http.Agent({ keepAlive: true });
    let received = 0;
    const done = new Promise<{ received: number; socketClosed: Promise<void> }>((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          res.pause(); // a slow reader: the answer is still being sent when the server closes
          const socketClosed = new Promise<void>((r) => res.socket.once('close', () => r()));
          closing = app.close();
          res.on('data', (c: Buffer) => (received += c.length)).on('end', () => resolve({ received, socketClosed }));
          setTimeout(() => res.resume(), 200);
        })
        .on('error', reject);
    });
    let closing: Promise<void> | undefined;
    const result = await done;
    expect(result.received).toBe(size);
    await closing;
    await result.socketClosed; // not kept for the next request
    agent.destroy();
  });
  it('lists the requests being answered, on one connection or several, and none once they are answered', async () => {
    const { app, url } = await serveAPackage(4 * 1024 * 1024);
    const path = new URL(url).pathname;
    const agent = new http.Agent({ keepAlive: true });
    const answered: Promise<void>[] = [];
    const started: Promise<void>[] = [];
    const resumes: (() => void)[] = [];
    for (let i = 0; i < 2; i++) {
      started.push(
        new Promise<void>((begun, reject) => {
          answered.push(
            new Promise<void>((done) => {
              http
                .get(url, { agent }, (res) => {
                  res.pause(); // slow readers: both answers are still being sent
                  resumes.push(() => res.resume());
                  res.on('end', () => done());
                  begun();
                })
                .on('error', reject);
            }),
          );
        }),
      );
    }
    await Promise.all(started);
    expect(app.requestsInFlight()).toEqual([`GET ${path}`, `GET ${path}`]);
    for (const resume of resumes) resume();
    await Promise.all(answered);
    await expect.poll(() => app.requestsInFlight()).toEqual([]);
    // The connections are kept alive, idle: a close does not wait for them.
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(10_000);
    agent.destroy();
  });
});
