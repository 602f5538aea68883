#!/usr/bin/env node
// Benchmark of the run-time gate's hot path, POST /client/v1/resources (10 authorised mini programs, cached),
// against GET /healthz measured in the same run on the same server: the ratio is what to compare across
// machines and commits, not the absolute numbers. Loopback only; bounded in requests and time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import yazl from 'yazl';
import { buildApp, ensureFirstAdmin, loadConfig } from '../packages/server/dist/app.js';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32);
const MAX_REQUESTS = 200_000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-bench-'));
const config = loadConfig({
  MPOP_DATA_DIR: dataDir,
  MPOP_ADMIN_USERNAME: 'bench',
  MPOP_ADMIN_PASSWORD: 'bench-password-123',
  LOG_LEVEL: 'warn',
  MPOP_CLIENT_RATE_LIMIT: '1000000',
  MPOP_CONSOLE_DIR: path.join(dataDir, 'none'),
  PORT: '0',
});
const app = await buildApp(config);
await ensureFirstAdmin(app);
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.server.address().port}`;

const signIn = await fetch(`${base}/api/v1/session`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: 'bench-password-123' }),
});
const cookie = signIn.headers.get('set-cookie').split(';')[0];
const adminFetch = (url, init = {}) =>
  fetch(`${base}${url}`, {
    ...init,
    headers: {
      cookie,
      origin: base,
      ...(init.body && !(init.body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });

const makeZip = (i) =>
  new Promise((resolve) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from(JSON.stringify({ pages: ['pages/index/index'] })), 'app.json');
    z.addBuffer(Buffer.alloc(64 * 1024, i), 'bundle.js');
    z.end();
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
  });
const ok = async (resPromise) => {
  const res = await resPromise;
  if (!res.ok) throw new Error(`bench setup failed: ${res.status} ${await res.text()}`);
  return res;
};
const host = await (
  await adminFetch('/api/v1/host-apps', { method: 'POST', body: JSON.stringify({ name: 'Bench', workspaceId: 'bench' }) })
).json();
const form = new FormData();
form.append('virtualDomain', 'bench.example.com');
form.append(
  'privateKey',
  new Blob([generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' })]),
  'k.pem',
);
await ok(adminFetch(`/api/v1/host-apps/bench/${host.appId}/dev-config`, { method: 'PUT', body: form }));
for (let i = 0; i < 10; i++) {
  const mp = await (await adminFetch('/api/v1/mini-programs', { method: 'POST', body: JSON.stringify({ name: `MP ${i}` }) })).json();
  const up = new FormData();
  up.append('version', '1.0.0.0');
  up.append('package', new Blob([await makeZip(i)]), 'p.zip');
  await ok(adminFetch(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, { method: 'POST', body: up }));
  await ok(adminFetch(`/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.0/release`, { method: 'POST' }));
  await ok(adminFetch(`/api/v1/host-apps/bench/${host.appId}/mini-programs/${mp.miniProgramId}`, { method: 'PUT' }));
}
const resourcesBody = JSON.stringify({
  appId: host.appId,
  workspaceId: 'bench',
  platform: 'android',
  clientVersion: '10.0.0',
  miniPrograms: {},
});
const check = await (
  await fetch(`${base}/client/v1/resources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: resourcesBody })
).json();
if (check.resources?.length !== 10) throw new Error(`bench setup failed: ${JSON.stringify(check).slice(0, 200)}`);

async function measure(name, request) {
  const latencies = [];
  const until = Date.now() + SECONDS * 1000;
  let count = 0;
  const worker = async () => {
    while (Date.now() < until && count < MAX_REQUESTS) {
      count++;
      const t0 = process.hrtime.bigint();
      const res = await request();
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${name}: ${res.status}`);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  const start = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (Date.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2);
  return { name, requests: latencies.length, perSecond: latencies.length / secs, p50: pct(0.5), p99: pct(0.99) };
}

const rssBefore = process.memoryUsage().rss;
const baseline = await measure('GET /healthz (baseline)', () => fetch(`${base}/healthz`));
const gate = await measure('POST /client/v1/resources (10 packages)', () =>
  fetch(`${base}/client/v1/resources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: resourcesBody }),
);
const rssAfter = process.memoryUsage().rss;

console.log(
  `\nmpop gate benchmark: ${SECONDS} s per case, ${CONCURRENCY} concurrent, loopback, one process (load generator in the same process)\n`,
);
for (const r of [baseline, gate])
  console.log(
    `${r.name.padEnd(44)} ${r.perSecond.toFixed(0).padStart(7)} req/s   p50 ${r.p50} ms   p99 ${r.p99} ms   (${r.requests} requests)`,
  );
console.log(
  `\nratio resources/healthz throughput: ${(gate.perSecond / baseline.perSecond).toFixed(2)}  (1.00 = as cheap as a health check)`,
);
console.log(`process RSS: ${(rssBefore / 1048576).toFixed(0)} MiB before, ${(rssAfter / 1048576).toFixed(0)} MiB after the runs`);

await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
