import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { buildApp } from '../src/app.js';
import { connectDatabase } from '../src/db/connect.js';
import { resolveMasterKey } from '../src/modules/operations/master-key.js';
import { rotateMasterKey } from '../src/modules/operations/master-key-rotation.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';
import { isPublicAddress } from '../src/modules/webhooks/address.js';
import { configuredHostApp, member, organisation, upload } from './helpers/open-platform.js';
import { userWithRole } from './helpers/app.js';
import { WebhookRepository } from '../src/modules/webhooks/webhook.repository.js';

interface Received {
  headers: Record<string, string>;
  body: string;
}

/**
 * A webhook receiver on 127.0.0.1: records every request, and answers as `mode` says: 200, 500, or never (the
 * request hangs until the sender gives up).
 */
class Receiver {
  readonly received: Received[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  /** Answer 500 to this many requests first, then `mode`. */
  failFirst = 0;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      if (this.failFirst > 0) {
        this.failFirst--;
        res.writeHead(500).end('not now');
      } else if (this.mode === 'ok') res.writeHead(204).end();
      else if (this.mode === 'fail') res.writeHead(500).end('broken');
      // 'hang': no answer
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The received bodies, parsed. */
  events = () => this.received.map((r) => JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> });
}

/** Waits until `check` passes (retried every 25 ms), for at most `ms`. */
async function waitFor<T>(check: () => T | Promise<T>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

const ALLOW = { MPOP_WEBHOOK_ALLOW_PRIVATE: '1' };
const RELEASE_EVENTS = ['release.created', 'release.completed', 'release.paused', 'release.rolled-back', 'release.taken-down'];

async function uploadVersion(admin: Client, id: string, version: string) {
  const up = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip()));
  expect(up.statusCode, up.body).toBe(201);
}

describe.each(dialects)('webhooks on %s', (dialect) => {
  let receiver: Receiver;
  let url: string;
  let t: TestApp | undefined;

  beforeAll(async () => {
    receiver = new Receiver();
    url = await receiver.start();
  });
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
    receiver.received.length = 0;
    receiver.mode = 'ok';
    receiver.failFirst = 0;
  });
  afterAll(() => receiver.close());

  it('delivers release events signed as Standard Webhooks says, to the webhooks subscribed to them; the secret is shown once', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const created = await admin.post('/api/v1/webhooks', { url, events: RELEASE_EVENTS, description: 'release bot' });
    expect(created.statusCode, created.body).toBe(201);
    const hook = created.json();
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/); // 32 random bytes
    expect(Buffer.from(hook.secret.slice(6), 'base64')).toHaveLength(32);
    expect(hook).toMatchObject({ url, events: RELEASE_EVENTS, description: 'release bot' });
    // A second webhook hears only take-downs.
    const only = (await admin.post('/api/v1/webhooks', { url: `${url}?only=down`, events: ['release.taken-down'] })).json();

    const { id } = await releasedMiniProgram(admin, 'Hooked');
    await uploadVersion(admin, id, '2.0.0.0');
    const ramp = (await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/release`, { rollout: { percent: 10 } })).json();
    expect(
      (await admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${id}/releases/${ramp.releaseId}`, payload: { paused: true } }))
        .statusCode,
    ).toBe(200);
    const back = (await admin.post(`/api/v1/mini-programs/${id}/rollback`)).json();
    expect((await admin.post(`/api/v1/mini-programs/${id}/take-down`)).statusCode).toBe(200);

    await waitFor(() => expect(receiver.received).toHaveLength(7));
    const wh = new Webhook(hook.secret);
    // The deliveries to the first webhook verify with its secret; their body is { type, timestamp, data }.
    const verified = receiver.received.map((r) => {
      try {
        return { r, ok: true, body: wh.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> } };
      } catch {
        return { r, ok: false, body: JSON.parse(r.body) };
      }
    });
    const forMain = verified.filter((v) => v.ok).map((v) => v.body);
    expect(forMain.map((e) => e.type).sort()).toEqual(
      ['release.created', 'release.completed', 'release.created', 'release.paused', 'release.rolled-back', 'release.taken-down'].sort(),
    );
    expect(forMain.find((e) => e.type === 'release.paused')?.data).toMatchObject({
      releaseId: ramp.releaseId,
      miniProgramId: id,
      version: '2.0.0.0',
      state: 'paused',
      actor: 'admin',
    });
    expect(forMain.find((e) => e.type === 'release.rolled-back')?.data).toMatchObject({
      releaseId: back.releaseId,
      version: '1.0.0.1',
      fromVersion: '2.0.0.0',
      rolledBackReleaseId: ramp.releaseId,
    });
    // The other webhook got the take-down only, signed with its own secret (which the first one's does not verify).
    const other = verified.filter((v) => !v.ok);
    expect(other).toHaveLength(1);
    expect(other[0]!.body.type).toBe('release.taken-down');
    const raw = other[0]!.r;
    expect((new Webhook(only.secret).verify(raw.body, raw.headers) as { type: string }).type).toBe('release.taken-down');
    // Headers as the specification names them; a body timestamp in ISO 8601.
    const first = receiver.received[0]!;
    expect(first.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Number(first.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body).timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // Deliveries: delivered at the first attempt, with the answer's status; no secret anywhere.
    const deliveries = await waitFor(async () => {
      const d = (await admin.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json();
      expect(d.items.every((x: { status: string }) => x.status === 'delivered')).toBe(true);
      return d;
    });
    expect(deliveries.items).toHaveLength(6);
    expect(deliveries.items[0]).toMatchObject({
      eventType: 'release.taken-down',
      status: 'delivered',
      attempts: 1,
      lastResponseStatus: 204,
      nextAttemptAt: null,
    });
    const list = await admin.get('/api/v1/webhooks');
    expect(list.json().items).toHaveLength(2);
    for (const text of [list.body, JSON.stringify(deliveries), t.logs()]) {
      expect(text).not.toContain(hook.secret);
      expect(text).not.toContain(hook.secret.slice(6));
      expect(text).not.toContain(only.secret.slice(6));
    }
    const audit = (await admin.get('/api/v1/audit-events?action=webhook.created')).json();
    expect(audit.items).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(hook.secret.slice(6));
  });

  it('retries an answer other than 2xx with growing waits, then marks the delivery failed', async () => {
    t = await startApp(dialect, ALLOW, { webhooks: { retryDelaysMs: [100, 200] } });
    const admin = await Client.signIn(t.app);
    const failing = (await admin.post('/api/v1/webhooks', { url: `${url}?to=failing`, events: ['release.created'] })).json();
    receiver.mode = 'fail';
    await releasedMiniProgram(admin, 'Retried');

    const d = await waitFor(async () => {
      const items = (await admin.get(`/api/v1/webhooks/${failing.webhookId}/deliveries`)).json().items;
      expect(items[0]?.status).toBe('failed');
      return items[0];
    });
    // 1 + 2 retries, the same message each time; the waits between them grow.
    expect(d).toMatchObject({ attempts: 3, lastResponseStatus: 500, lastError: 'answered 500', nextAttemptAt: null, deliveredAt: null });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const at = receiver.received.map((r) => Number(r.headers['webhook-timestamp']) * 1000);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(0);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/mpop_webhook_deliveries_total\{outcome="retrying"\} 2/);
    expect(metrics).toMatch(/mpop_webhook_deliveries_total\{outcome="failed"\} 1/);

    // A receiver that fails twice and then answers gets the delivery at the third attempt.
    receiver.received.length = 0;
    receiver.mode = 'ok';
    receiver.failFirst = 2;
    const { id } = await releasedMiniProgram(admin, 'Retried later');
    const later = await waitFor(async () => {
      const items = (await admin.get(`/api/v1/webhooks/${failing.webhookId}/deliveries`)).json().items;
      expect(items[0]?.status).toBe('delivered');
      return items[0];
    });
    expect(later).toMatchObject({ attempts: 3, lastResponseStatus: 204, lastError: null });
    expect(receiver.events().map((e) => e.data.miniProgramId)).toEqual([id, id, id]);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/mpop_webhook_deliveries_total\{outcome="delivered"\} 1/);
  });

  it('loses no delivery to a restart: an attempt cut off by the stop is made again after the start', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const hook = (await admin.post('/api/v1/webhooks', { url, events: ['release.created'] })).json();
    receiver.mode = 'hang';
    await releasedMiniProgram(admin, 'Restarted');
    await waitFor(() => expect(receiver.received).toHaveLength(1)); // in flight, unanswered
    receiver.mode = 'ok';
    t = await t.restart();
    await waitFor(() => expect(receiver.received).toHaveLength(2));
    const [cut, sent] = receiver.received;
    expect(sent!.headers['webhook-id']).toBe(cut!.headers['webhook-id']);
    expect((new Webhook(hook.secret).verify(sent!.body, sent!.headers) as { type: string }).type).toBe('release.created');
    const again = await Client.signIn(t.app);
    const d = await waitFor(async () => {
      const items = (await again.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json().items;
      expect(items[0]?.status).toBe('delivered');
      return items[0];
    });
    expect(d.attempts).toBe(1); // the attempt the stop cut off is not counted
  });

  it('a receiver that never answers does not slow the call that caused the event', async () => {
    const HOLD_MS = 8000;
    t = await startApp(dialect, ALLOW, { webhooks: { timeoutMs: HOLD_MS } });
    const admin = await Client.signIn(t.app);
    await admin.post('/api/v1/webhooks', { url, events: ['release.created', 'release.taken-down'] });
    receiver.mode = 'hang';
    const { id } = await releasedMiniProgram(admin, 'Slow receiver');
    await waitFor(() => expect(receiver.received).toHaveLength(1)); // the first delivery is held
    const started = Date.now();
    const down = await admin.post(`/api/v1/mini-programs/${id}/take-down`);
    const took = Date.now() - started;
    expect(down.statusCode).toBe(200);
    expect(took).toBeLessThan(HOLD_MS / 2);
    await waitFor(() => expect(receiver.received).toHaveLength(2)); // its own delivery went out too, and is held
  });

  it('refuses URLs of loopback, private and link-local targets (and names that resolve to them) without MPOP_WEBHOOK_ALLOW_PRIVATE', async () => {
    t = await startApp(dialect);
    const admin = await Client.signIn(t.app);
    const refused = [
      'http://127.0.0.1/hook',
      'http://127.1.2.3:8080/',
      'http://localhost:8080/hook',
      'http://0x7f.1/',
      'http://10.0.0.5/hook',
      'http://172.16.3.4/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[fe80::1]/',
      'http://[fd12:3456::1]/',
      'http://[::]/',
      'https://224.0.0.1/',
    ];
    for (const target of refused) {
      const res = await admin.post('/api/v1/webhooks', { url: target, events: ['release.created'] });
      expect(res.statusCode, target).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code, target).toBe('WEBHOOK_URL_NOT_ALLOWED');
      expect(res.json().detail).toContain('MPOP_WEBHOOK_ALLOW_PRIVATE=1');
    }
    const ftp = await admin.post('/api/v1/webhooks', { url: 'ftp://example.com/x', events: ['release.created'] });
    expect(ftp.json()).toMatchObject({ status: 400, code: 'WEBHOOK_URL_NOT_ALLOWED' });
    const notUrl = await admin.post('/api/v1/webhooks', { url: 'hooks.example.com', events: ['release.created'] });
    expect(notUrl.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    // Nothing was made by a refused request.
    expect((await admin.get('/api/v1/webhooks')).json().items).toEqual([]);
    expect((await admin.get('/api/v1/audit-events?action=webhook.created')).json().items).toEqual([]);
    // A public address is taken (nothing is sent to it here: it hears an event no test causes).
    const pub = await admin.post('/api/v1/webhooks', { url: 'https://93.184.216.34/hook', events: ['review.approved'] });
    expect(pub.statusCode, pub.body).toBe(201);
  });

  it('checks the address again at delivery: a webhook made while private targets were allowed is not sent to them once they are not', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const local = (await admin.post('/api/v1/webhooks', { url, events: ['release.created'] })).json();
    const named = (
      await admin.post('/api/v1/webhooks', { url: url.replace('127.0.0.1', 'localhost'), events: ['release.created'] })
    ).json();
    await t.close();
    // The same data, started without MPOP_WEBHOOK_ALLOW_PRIVATE.
    const app = await buildApp(
      { ...t.config, webhookAllowPrivate: false },
      {
        webhooks: { retryDelaysMs: [] },
        logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
      },
    );
    try {
      const again = await Client.signIn(app);
      await releasedMiniProgram(again, 'Refused at delivery');
      for (const [hook, shown] of [
        [local, 'refused: 127.0.0.1 is not a public address'],
        [named, 'refused: localhost resolves to'],
      ] as const) {
        const d = await waitFor(async () => {
          const items = (await again.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json().items;
          expect(items[0]?.status).toBe('failed');
          return items[0];
        });
        expect(d.lastError).toContain(shown);
        expect(d.lastResponseStatus).toBeNull();
      }
      expect(receiver.received).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('keeps signing with the same secret after the master key is rotated', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const hook = (await admin.post('/api/v1/webhooks', { url, events: ['release.created'] })).json();
    await t.close();
    const handle = connectDatabase(t.config.databaseUrl);
    try {
      const sealed = () => handle.db.selectFrom('webhooks').select('secretSealed').executeTakeFirstOrThrow();
      const before = await sealed();
      const current = resolveMasterKey(t.config.dataDir, undefined, { generate: false });
      const summary = await rotateMasterKey(handle.db, current, randomBytes(32).toString('base64'), t.config.dataDir);
      expect(summary.keyFile).toBeDefined();
      expect(await sealed()).not.toEqual(before);
    } finally {
      await handle.db.destroy();
    }
    t = await t.restart(); // with the rewritten key file
    await releasedMiniProgram(await Client.signIn(t.app), 'After rotation');
    await waitFor(() => expect(receiver.received).toHaveLength(1));
    const [r] = receiver.received;
    expect((new Webhook(hook.secret).verify(r!.body, r!.headers) as { type: string }).type).toBe('release.created');
  });

  it.runIf(dialect === 'postgres')('with two instances on one database, each event is delivered once', async () => {
    t = await startApp(dialect, ALLOW, { webhooks: { pollMs: 10 } });
    const other = await buildApp(t.config, {
      webhooks: { pollMs: 10 },
      logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    try {
      const admin = await Client.signIn(t.app);
      const hook = (await admin.post('/api/v1/webhooks', { url, events: ['release.created', 'release.completed'] })).json();
      for (let i = 0; i < 5; i++) await releasedMiniProgram(admin, `Twice ${i}`);
      await waitFor(async () => {
        const items = (await admin.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json().items;
        expect(items.map((d: { status: string; attempts: number }) => `${d.status}/${d.attempts}`)).toEqual(Array(10).fill('delivered/1'));
      });
      expect(receiver.received).toHaveLength(10);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(10);
    } finally {
      await other.close();
    }
  });

  it('keeps the last 100 deliveries of a webhook: older finished ones are pruned, pending ones never', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const hook = (await admin.post('/api/v1/webhooks', { url, events: ['release.created'] })).json();
    const repo = new WebhookRepository(t.app.db);
    // 105 events, recorded as a service records them (in a transaction), then delivered.
    await t.app.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 105; i++) await t!.app.services.outbox.record(trx, 'release.created', { n: i });
    });
    await waitFor(async () => {
      const rows = await t!.app.db.selectFrom('webhookDeliveries').select('status').where('status', '=', 'delivered').execute();
      expect(rows).toHaveLength(105);
    }, 30_000);
    // One old delivery still pending (as if its receiver were failing) is kept whatever its age.
    const oldest = await t.app.db.selectFrom('webhookDeliveries').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
    await t.app.db
      .updateTable('webhookDeliveries')
      .set({ status: 'pending', nextAttemptAt: '2999-01-01T00:00:00.000Z' })
      .where('id', '=', oldest.id)
      .execute();
    expect(await repo.prune(100)).toBe(4);
    const left = await t.app.db.selectFrom('webhookDeliveries').select(['id', 'status']).orderBy('id').execute();
    expect(left).toHaveLength(101);
    expect(left[0]).toEqual({ id: oldest.id, status: 'pending' });
    const listed = (await admin.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json().items;
    expect(listed).toHaveLength(100);
    expect(listed[0].deliveryId).toBe(String(left.at(-1)!.id)); // newest first
  });

  it('validates the body, deletes webhooks with their deliveries, and answers 404 for an unknown one', async () => {
    t = await startApp(dialect, ALLOW);
    const admin = await Client.signIn(t.app);
    const bad = [
      { url, events: [] },
      { url, events: ['release.exploded'] },
      { url },
      { url, events: ['release.created'], description: 'x'.repeat(201) },
      { url: `http://h/${'a'.repeat(2048)}`, events: ['release.created'] },
      { url, events: ['release.created'], secret: 'mine' },
    ];
    for (const body of bad) {
      const res = await admin.post('/api/v1/webhooks', body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    const hook = (await admin.post('/api/v1/webhooks', { url, events: ['release.created', 'release.created'] })).json();
    expect(hook.events).toEqual(['release.created']);
    receiver.mode = 'hang';
    await releasedMiniProgram(admin, 'Deleted hook');
    await waitFor(() => expect(receiver.received).toHaveLength(1));
    expect((await admin.delete(`/api/v1/webhooks/${hook.webhookId}`)).statusCode).toBe(204);
    expect((await admin.delete(`/api/v1/webhooks/${hook.webhookId}`)).json().code).toBe('NOT_FOUND');
    expect((await admin.get(`/api/v1/webhooks/${hook.webhookId}/deliveries`)).json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await admin.get('/api/v1/webhooks')).json().items).toEqual([]);
    expect(await t.app.db.selectFrom('webhookDeliveries').selectAll().execute()).toEqual([]);
    expect((await admin.get('/api/v1/audit-events?action=webhook.deleted')).json().items).toHaveLength(1);
  });
});

describe('public addresses', () => {
  it('tells public unicast addresses from the rest, IPv4 and IPv6', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '[2001:4860:4860::8888]']) {
      expect(isPublicAddress(a), a).toBe(true);
    }
    for (const a of [
      '127.0.0.1',
      '10.255.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '255.255.255.255',
      '224.0.0.251',
      '198.18.0.1',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '0:0:0:0:0:ffff:a9fe:a9fe',
      '::127.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      'fe80::1%eth0',
      'fd00::1',
      'fc00::1',
      'ff02::1',
      '2001:db8::1',
      'not-an-address',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });
});

describe.each(dialects)('webhooks of the open platform on %s', (dialect) => {
  let receiver: Receiver;
  let t: TestApp;
  beforeAll(async () => {
    receiver = new Receiver();
    t = await startApp(dialect, ALLOW);
  });
  afterAll(async () => {
    await t.destroy();
    await receiver.close();
  });

  it('delivers association and review events, signed, from the calls of a vendor and an operator', async () => {
    const admin = await Client.signIn(t.app);
    const url = await receiver.start();
    const events = ['association.requested', 'association.approved', 'review.submitted', 'review.rejected', 'review.approved'];
    const hook = await admin.post('/api/v1/webhooks', { url, events });
    expect(hook.statusCode, hook.body).toBe(201);
    const operator = await userWithRole(admin, 'operator');
    const { orgId } = await organisation(admin);
    const dev = await member(admin, orgId, 'developer');
    const id = (await dev.post('/api/v1/mini-programs', { name: 'Hooked', orgId })).json().miniProgramId as string;
    expect((await upload(dev, id, '1.0.0.1')).statusCode).toBe(201);
    const at = (path: string) => `/api/v1/mini-programs/${id}/packages/1.0.0.1/${path}`;
    expect((await dev.post(at('submit'), { note: 'first' })).statusCode).toBe(200);
    expect((await operator.post(at('reject'), { reason: 'fix the icon' })).statusCode).toBe(200);
    expect((await dev.post(at('submit'), { note: 'fixed' })).statusCode).toBe(200);
    expect((await operator.post(at('approve'), {})).statusCode).toBe(200);
    const host = await configuredHostApp(admin);
    const asked = await dev.post(`/api/v1/mini-programs/${id}/associations`, { ...host, note: 'please' });
    expect(asked.statusCode, asked.body).toBe(201);
    expect((await operator.post(`/api/v1/associations/${asked.json().associationId}/approve`)).statusCode).toBe(200);

    await waitFor(() => expect(receiver.received).toHaveLength(6));
    const wh = new Webhook(hook.json().secret);
    const delivered = receiver.received.map((r) => wh.verify(r.body, r.headers) as { type: string; data: Record<string, unknown> });
    expect(delivered.map((e) => e.type).sort()).toEqual(
      [
        'association.approved',
        'association.requested',
        'review.approved',
        'review.rejected',
        'review.submitted',
        'review.submitted',
      ].sort(),
    );
    expect(delivered.find((e) => e.type === 'review.rejected')?.data).toMatchObject({ miniProgramId: id, version: '1.0.0.1' });
    expect(delivered.find((e) => e.type === 'association.approved')?.data).toMatchObject({
      association: { miniProgramId: id, appId: host.appId, state: 'approved' },
    });
  });
});
