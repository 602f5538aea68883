import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { releasedMiniProgram } from './helpers/packages.js';

/** The value of one sample of a Prometheus text exposition, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe.each(dialects)('GET /metrics after a gate scenario on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const TOKEN = 'metrics-token-0123456789';

  beforeAll(async () => {
    t = await startApp(dialect, { MPOP_METRICS_TOKEN: TOKEN, MPOP_RATE_LIMIT_PER_ADDRESS: '100000' });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const ask = (appId: string, workspaceId = 'metrics', extra: Record<string, unknown> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId, platform: 'android', clientVersion: '10.2.3', miniPrograms: {}, ...extra },
    });
  const metrics = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  it('needs the bearer token when MPOP_METRICS_TOKEN is set', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
    const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.statusCode).toBe(401);
    expect((await metrics()).length).toBeGreaterThan(0);
  });

  it('counts requests by route and status, gate answers by outcome, cache hits and signatures', async () => {
    const configured = (await admin.post('/api/v1/host-apps', { name: 'Measured', workspaceId: 'metrics' })).json().appId;
    await admin.put(`/api/v1/host-apps/metrics/${configured}/dev-config`, devConfigForm('m.example.com', sharedKey().pkcs8));
    const { id } = await releasedMiniProgram(admin, 'Measured MP');
    await admin.put(`/api/v1/host-apps/metrics/${configured}/mini-programs/${id}`);
    const unconfigured = (await admin.post('/api/v1/host-apps', { name: 'Half Done', workspaceId: 'metrics' })).json().appId;
    const disabled = (await admin.post('/api/v1/host-apps', { name: 'Switched Off', workspaceId: 'metrics' })).json().appId;
    await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/metrics/${disabled}`, payload: { enabled: false } });
    const before = await metrics();

    expect((await ask(configured)).statusCode).toBe(200); // a miss: loads the host app
    expect((await ask(configured)).statusCode).toBe(200); // a hit
    expect((await ask(configured)).statusCode).toBe(200);
    expect((await ask('FFFFFFFFFFFFF')).statusCode).toBe(403);
    expect((await ask(unconfigured)).statusCode).toBe(403);
    expect((await ask(disabled)).statusCode).toBe(403);
    expect((await ask(configured, 'metrics', { platform: 'windows' })).statusCode).toBe(400);
    const events = await t.app.inject({
      method: 'POST',
      url: '/client/v1/events',
      payload: {
        appId: configured,
        workspaceId: 'metrics',
        deviceId: 'device-9',
        events: [
          { type: 'download', miniProgramId: id, version: '1.0.0.1' },
          { type: 'launch', miniProgramId: id, version: '1.0.0.1' },
          { type: 'launch', miniProgramId: id, version: '1.0.0.1' },
          { type: 'launch', miniProgramId: id, version: '9.9.9.9' }, // never uploaded: ignored
        ],
      },
    });
    expect(events.statusCode).toBe(202);
    const after = await metrics();

    const delta = (name: string, labels: Record<string, string> = {}) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('mpop_gate_answers_total', { outcome: 'served' })).toBe(3);
    expect(delta('mpop_gate_answers_total', { outcome: 'not_registered' })).toBe(1);
    expect(delta('mpop_gate_answers_total', { outcome: 'not_configured' })).toBe(1);
    expect(delta('mpop_gate_answers_total', { outcome: 'disabled' })).toBe(1);
    expect(delta('mpop_gate_answers_total', { outcome: 'invalid' })).toBe(1);
    expect(delta('mpop_gate_answers_total', { outcome: 'rate_limited' })).toBe(0);
    expect(delta('mpop_gate_cache_lookups_total', { result: 'hit' })).toBeGreaterThanOrEqual(2);
    expect(delta('mpop_gate_cache_lookups_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    const served = { method: 'POST', route: '/client/v1/resources', status: '200' };
    expect(delta('mpop_http_requests_total', served)).toBe(3);
    expect(delta('mpop_http_requests_total', { ...served, status: '403' })).toBe(3);
    expect(delta('mpop_http_request_duration_seconds_count', served)).toBe(3);
    expect(delta('mpop_http_request_duration_seconds_bucket', { ...served, le: '+Inf' })).toBe(3);
    expect(
      sample(after, 'mpop_http_requests_total', { method: 'PATCH', route: '/api/v1/host-apps/:workspaceId/:appId', status: '200' }),
    ).toBe(1);
    expect(sample(after, 'mpop_signatures_total')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'mpop_signing_job_failures_total')).toBe(0);
    expect(sample(after, 'mpop_signing_queue_signatures')).toBe(0);
    expect(events.json()).toEqual({ accepted: 3, ignored: 1 });
    expect(delta('mpop_client_events_total', { type: 'launch', outcome: 'accepted' })).toBe(2);
    expect(delta('mpop_client_events_total', { type: 'launch', outcome: 'ignored' })).toBe(1);
    expect(delta('mpop_client_events_total', { type: 'download', outcome: 'accepted' })).toBe(1);
    expect(delta('mpop_client_events_total', { type: 'download', outcome: 'ignored' })).toBe(0);
    expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('serves every metric that the Grafana dashboard and the alert rules in docs/ use', async () => {
    const text = await metrics();
    const declared = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const docs = path.resolve(import.meta.dirname, '../../../docs');
    for (const file of ['grafana-dashboard.json', 'prometheus-alerts.yml']) {
      const used = new Set(
        [...fs.readFileSync(path.join(docs, file), 'utf8').matchAll(/\b((?:mpop|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]),
      );
      expect(used.size).toBeGreaterThan(3);
      for (const name of used) expect(declared, `${file} uses ${name}`).toContain(name.replace(/_(bucket|count|sum)$/, ''));
    }
  });

  it('counts rate-limited gate answers', async () => {
    const limited = await startApp(dialect, { MPOP_RATE_LIMIT_PER_ADDRESS: '2' });
    try {
      let status = 0;
      for (let i = 0; i < 5 && status !== 429; i++)
        status = (await limited.app.inject({ method: 'POST', url: '/client/v1/resources', payload: {} })).statusCode;
      expect(status).toBe(429);
      const text = (await limited.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(text, 'mpop_gate_answers_total', { outcome: 'rate_limited' })).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.destroy();
    }
  });

  it('answers 404 when MPOP_METRICS=off', async () => {
    const off = await startApp(dialect, { MPOP_METRICS: 'off' });
    try {
      const res = await off.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    } finally {
      await off.destroy();
    }
  });
});
