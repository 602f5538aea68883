#!/usr/bin/env node
// mpop benchmarks: `npm run bench` (all), `npm run bench -- --only gate,search` (a subset), `--runs 5` (runs per
// figure; the median is reported). Every server runs in its own process (dist/main.js), load comes from another
// process (autocannon, bench/load.mjs), and the baseline is a bare node:http server in a third process answering the
// same bytes (bench/bare-server.mjs). Each benchmark seeds its own throw-away data. Writes docs/BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import yazl from 'yazl';
import { connectDatabase } from '../packages/server/dist/db/connect.js';
import { migrateToLatest } from '../packages/server/dist/db/migrations/index.js';
import { keyAad, SecretBox } from '../packages/server/dist/lib/crypto.js';
import { nameKey } from '../packages/server/dist/modules/host-apps/host-app.repository.js';
import { benchKeys } from './keys.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'packages/server/dist/main.js');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ALL = ['gate', 'spread', 'workers', 'signing', 'search', 'postgres', 'memory', 'startup'];
const only = arg('only', ALL.join(',')).split(',');
for (const o of only) if (!ALL.includes(o)) throw new Error(`--only: unknown benchmark "${o}"; choose from ${ALL.join(', ')}`);
const RUNS = Number(arg('runs', '5'));
const SECONDS = Number(arg('seconds', '5'));
const PG_URL = process.env.MPOP_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const MASTER_KEY = randomBytes(32).toString('base64');
const ADMIN = { username: 'bench', password: 'bench-password-123' };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-bench-'));
const results = {};
const say = (...m) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...m);

// ---------- helpers ----------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    import('node:net').then(({ createServer }) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  });
}

/** Starts dist/main.js; resolves once /readyz answers 200, with the time that took. */
async function startServer(env) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  // MPOP_BENCH_NODE_ARGS: extra node flags for the server processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.MPOP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // MPOP_BENCH_MAIN (in a gate variant): another build's main.js, e.g. of an earlier commit, measured in the same runs.
  const child = spawn(process.execPath, [...nodeArgs, env.MPOP_BENCH_MAIN ?? MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MPOP_PUBLIC_URL: url,
      MPOP_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'warn',
      MPOP_CONSOLE_DIR: path.join(work, 'no-console'),
      MPOP_RATE_LIMIT_PER_ADDRESS: '100000000', // all load comes from 127.0.0.1: the limits are counted, never hit
      MPOP_ADMIN_USERNAME: ADMIN.username,
      MPOP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await sleep(5);
  }
  return { child, url, readyMs: performance.now() - started, stderr: () => stderr };
}

async function stopServer(s) {
  if (!s || s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
}

function runNode(script, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}`))));
  });
}

/** CPU time (user + system, ms) of a process and all its descendants (a cluster's workers), from /proc. */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const own = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return own + children.reduce((sum, child) => sum + cpuMs(Number(child)), 0);
  } catch {
    return Number.NaN; // not Linux, or the process is gone
  }
}

/**
 * autocannon, from its own process. With `server` (a process id), also the CPU time that server (and its workers)
 * spent per answer, in µs; the load generator's own CPU per request is `loadCpuUs`.
 */
async function load(opts, { tolerate = false, server } = {}) {
  const before = server && cpuMs(server);
  const out = await runNode(path.join(root, 'bench/load.mjs'), [JSON.stringify({ duration: SECONDS, connections: 64, ...opts })]);
  const r = JSON.parse(out.trim().split('\n').pop());
  if ((r.non2xx || r.errors) && !tolerate) throw new Error(`load run had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  if (server) r.cpuUs = ((cpuMs(server) - before) * 1000) / r.total;
  r.loadCpuUs = (r.cpuMs * 1000) / r.total;
  return r;
}

/** The bare node:http baseline, answering each body with the gate's bytes for it. */
async function startBare(answers, script = 'bench/bare-server.mjs') {
  const file = path.join(work, `answers-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(file, JSON.stringify(answers));
  const child = spawn(process.execPath, [path.join(root, script), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (c) => resolve(Number(String(c).trim()))));
  return { child, url: `http://127.0.0.1:${port}` };
}

async function signIn(url) {
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  return async (method, p, body) => {
    const isForm = body instanceof FormData;
    const r = await fetch(`${url}${p}`, {
      method,
      body: body === undefined || isForm ? body : JSON.stringify(body),
      headers: { cookie, origin: url, ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}) },
    });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
}

const zipOf = (i, size = 64 * 1024) =>
  new Promise((resolve) => {
    const z = new yazl.ZipFile();
    z.addBuffer(Buffer.from(JSON.stringify({ pages: ['pages/index/index'] })), 'app.json');
    z.addBuffer(Buffer.alloc(size, i), 'bundle.js');
    z.end();
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
  });

async function releasedMiniProgram(api, name, i) {
  const mp = await api('POST', '/api/v1/mini-programs', { name });
  const form = new FormData();
  form.append('version', '1.0.0.0');
  form.append('package', new Blob([await zipOf(i)]), 'p.zip');
  await api('POST', `/api/v1/mini-programs/${mp.miniProgramId}/packages`, form);
  await api('POST', `/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.0/release`);
  return mp.miniProgramId;
}

async function configuredHostApp(api, name, pem) {
  const app = await api('POST', '/api/v1/host-apps', { name, workspaceId: 'bench' });
  const form = new FormData();
  form.append('virtualDomain', 'bench.example.com');
  form.append('privateKey', new Blob([pem]), 'k.pem');
  await api('PUT', `/api/v1/host-apps/bench/${app.appId}/dev-config`, form);
  return app.appId;
}

const resourcesBody = (appId) =>
  JSON.stringify({ appId, workspaceId: 'bench', platform: 'android', clientVersion: '10.0.0', miniPrograms: {} });

/** What the gate answers to each body (the bytes the baseline serves too). */
async function answersFor(url, bodies) {
  const answers = {};
  for (const body of bodies) {
    const r = await fetch(`${url}/client/v1/resources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!r.ok) throw new Error(`gate setup: ${r.status} ${await r.text()}`);
    answers[body] = await r.text();
  }
  return answers;
}

const sqliteEnv = (name) => {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  return { MPOP_DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'mpop.db')}` };
};

/**
 * One host app with 10 released, authorised mini programs; @returns the server env and two request bodies with their
 * answers: `body` asks for everything (no mini program named), `named` names the ten with "*".
 */
async function gateFixture(name) {
  const env = sqliteEnv(name);
  const s = await startServer(env);
  const api = await signIn(s.url);
  const [key] = benchKeys(1);
  const appId = await configuredHostApp(api, 'Bench', key.export({ type: 'pkcs8', format: 'pem' }));
  const ids = [];
  for (let i = 0; i < 10; i++) {
    const id = await releasedMiniProgram(api, `MP ${i}`, i);
    await api('PUT', `/api/v1/host-apps/bench/${appId}/mini-programs/${id}`);
    ids.push(id);
  }
  const body = resourcesBody(appId);
  const named = JSON.stringify({
    appId,
    workspaceId: 'bench',
    platform: 'android',
    clientVersion: '10.0.0',
    miniPrograms: Object.fromEntries(ids.map((id) => [id, '*'])),
  });
  const answers = await answersFor(s.url, [body, named]);
  for (const b of [body, named]) if (JSON.parse(answers[b]).resources.length !== 10) throw new Error('gate setup: not 10 resources');
  await stopServer(s);
  return { env, body, named, answers };
}

// ---------- the benchmarks ----------
const bench = {
  /**
   * Gate vs bare node:http and a bare Fastify, one host app, 10 mini programs per answer, 64 connections; both shapes
   * of request (everything, and ten named with "*"). CPU per answer of each server and of the load generator, apart.
   * MPOP_BENCH_GATE_VARIANTS: more gate servers to measure in the same runs, as `name=ENV=value,ENV=value;…`.
   */
  async gate() {
    const f = await gateFixture('gate');
    const variants = (process.env.MPOP_BENCH_GATE_VARIANTS ?? '')
      .split(';')
      .filter(Boolean)
      .map((v) => {
        const [label, ...rest] = v.split('=');
        const env = Object.fromEntries(
          rest
            .join('=')
            .split(',')
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        );
        return { label, env };
      });
    const s = await startServer(f.env);
    const others = [];
    for (const v of variants) {
      // A copy of the data for each (one SQLite database serves one mpop).
      const dir = `${f.env.MPOP_DATA_DIR}-${v.label}`;
      fs.cpSync(f.env.MPOP_DATA_DIR, dir, { recursive: true });
      fs.rmSync(path.join(dir, 'mpop.db.lock'), { force: true });
      const env = { MPOP_DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'mpop.db')}` };
      others.push({ ...v, server: await startServer({ ...env, ...v.env }) });
    }
    const bare = await startBare(f.answers);
    const fastify = await startBare(f.answers, 'bench/fastify-server.mjs');
    const shapes = { everything: f.body, named: f.named };
    const runs = { everything: [], named: [] };
    const gateUrl = (x) => `${x.url}/client/v1/resources`;
    try {
      for (const x of [s, ...others.map((o) => o.server)]) {
        await load({ url: gateUrl(x), body: f.body, duration: 2 }); // warm-up
        await load({ url: gateUrl(x), body: f.named, duration: 1 });
      }
      for (let r = 0; r < RUNS; r++) {
        for (const [shape, body] of Object.entries(shapes)) {
          const run = {};
          run.bare = await load({ url: bare.url, body }, { server: bare.child.pid });
          run.fastify = await load({ url: fastify.url, body }, { server: fastify.child.pid });
          run.gate = await load({ url: gateUrl(s), body }, { server: s.child.pid });
          for (const o of others) run[o.label] = await load({ url: gateUrl(o.server), body }, { server: o.server.child.pid });
          runs[shape].push(run);
          say(
            `gate run ${r + 1} (${shape}): CPU per answer ${Object.entries(run)
              .map(([k, v]) => `${k} ${v.cpuUs.toFixed(1)} µs`)
              .join(
                ', ',
              )}; load generator ${run.gate.loadCpuUs.toFixed(1)} µs; gate ${run.gate.requestsPerSecond.toFixed(0)} req/s (p99 ${run.gate.p99} ms) vs bare ${run.bare.requestsPerSecond.toFixed(0)}`,
          );
        }
      }
    } finally {
      await stopServer(s);
      for (const o of others) await stopServer(o.server);
      bare.child.kill('SIGTERM');
      fastify.child.kill('SIGTERM');
    }
    const summary = (list) => {
      const m = (k, field) => median(list.map((run) => run[k][field]));
      const out = {
        ratio: median(list.map((run) => run.gate.requestsPerSecond / run.bare.requestsPerSecond)),
        gate: m('gate', 'requestsPerSecond'),
        bare: m('bare', 'requestsPerSecond'),
        fastify: m('fastify', 'requestsPerSecond'),
        p99: m('gate', 'p99'),
        bareP99: m('bare', 'p99'),
        cpuUs: m('gate', 'cpuUs'),
        bareCpuUs: m('bare', 'cpuUs'),
        fastifyCpuUs: m('fastify', 'cpuUs'),
        cpuRatio: median(list.map((run) => run.gate.cpuUs / run.bare.cpuUs)),
        loadCpuUs: m('gate', 'loadCpuUs'),
        bareLoadCpuUs: m('bare', 'loadCpuUs'),
        variants: Object.fromEntries(
          others.map((o) => [
            o.label,
            {
              cpuUs: m(o.label, 'cpuUs'),
              cpuRatio: median(list.map((run) => run[o.label].cpuUs / run.bare.cpuUs)),
              // Against the gate of the same run: what the variant costs more (> 1) or less.
              perGate: median(list.map((run) => run[o.label].cpuUs / run.gate.cpuUs)),
            },
          ]),
        ),
      };
      return out;
    };
    results.gate = summary(runs.everything);
    results.gateNamed = summary(runs.named);
  },

  /** The same over 300 host apps with their own keys, one mini program per answer. */
  async spread() {
    const env = sqliteEnv('spread');
    let s = await startServer(env);
    const api = await signIn(s.url);
    const id = await releasedMiniProgram(api, 'Spread', 1);
    const keys = benchKeys(300);
    const bodies = [];
    for (let i = 0; i < 300; i++) {
      const appId = await configuredHostApp(api, `Spread ${i}`, keys[i].export({ type: 'pkcs8', format: 'pem' }));
      await api('PUT', `/api/v1/host-apps/bench/${appId}/mini-programs/${id}`);
      bodies.push(resourcesBody(appId));
    }
    const answers = await answersFor(s.url, bodies);
    await stopServer(s);
    s = await startServer(env);
    const bare = await startBare(answers);
    const ratios = [];
    const gates = [];
    const bares = [];
    try {
      await load({ url: `${s.url}/client/v1/resources`, bodies, duration: 2 });
      for (let r = 0; r < RUNS; r++) {
        const b = await load({ url: bare.url, bodies }, { server: bare.child.pid });
        const g = await load({ url: `${s.url}/client/v1/resources`, bodies }, { server: s.child.pid });
        gates.push(g);
        bares.push(b);
        ratios.push(g.requestsPerSecond / b.requestsPerSecond);
        say(`spread run ${r + 1}: ${g.requestsPerSecond.toFixed(0)} req/s vs bare ${b.requestsPerSecond.toFixed(0)}`);
      }
    } finally {
      await stopServer(s);
      bare.child.kill('SIGTERM');
    }
    results.spread = {
      ratio: median(ratios),
      gate: median(gates.map((g) => g.requestsPerSecond)),
      p99: median(gates.map((g) => g.p99)),
      cpuUs: median(gates.map((g) => g.cpuUs)),
      bareCpuUs: median(bares.map((b) => b.cpuUs)),
    };
  },

  /** MPOP_WORKERS=2 against one worker, same fixture as `gate`. */
  async workers() {
    const f = await gateFixture('workers');
    const ratios = [];
    const one = [];
    const two = [];
    for (let r = 0; r < RUNS; r++) {
      for (const [n, into] of [
        ['1', one],
        ['2', two],
      ]) {
        const s = await startServer({ ...f.env, MPOP_WORKERS: n });
        try {
          await load({ url: `${s.url}/client/v1/resources`, body: f.body, duration: 2 });
          into.push(await load({ url: `${s.url}/client/v1/resources`, body: f.body }, { server: s.child.pid }));
        } finally {
          await stopServer(s);
        }
      }
      ratios.push(two[r].requestsPerSecond / one[r].requestsPerSecond);
      say(
        `workers run ${r + 1}: 2 workers ${two[r].requestsPerSecond.toFixed(0)} req/s (${two[r].cpuUs.toFixed(1)} µs CPU per answer), ` +
          `1 worker ${one[r].requestsPerSecond.toFixed(0)} req/s (${one[r].cpuUs.toFixed(1)} µs); load generator ${one[r].loadCpuUs.toFixed(1)} µs per request`,
      );
    }
    const m = (xs, k) => median(xs.map((x) => x[k]));
    results.workers = {
      ratio: median(ratios),
      one: m(one, 'requestsPerSecond'),
      two: m(two, 'requestsPerSecond'),
      oneCpuUs: m(one, 'cpuUs'),
      twoCpuUs: m(two, 'cpuUs'),
      loadCpuUs: m([...one, ...two], 'loadCpuUs'),
    };
  },

  /**
   * One release to 10,000 host apps with their own keys (package + binding signature each), with the gate under
   * load meanwhile; then, on the same data (100,000 host apps in all), peak RSS after a warm gate and start-up time.
   */
  async signing() {
    const env = sqliteEnv('signing');
    await seedHostApps(env.DATABASE_URL, 100_000, 10_000);
    const s = await startServer(env);
    const api = await signIn(s.url);
    // Registered, authorised for the 10,000 seeded host apps with keys, and released only in the runs below: each
    // run's release is a new version, so each signs exactly 10,000 host apps.
    const id = (await api('POST', '/api/v1/mini-programs', { name: 'Fan-out' })).miniProgramId;
    await authoriseConfigured(env.DATABASE_URL, id); // before the probe exists
    const probe = await gateFixtureOn(api, s.url);
    const rates = [];
    const p99s = [];
    try {
      for (let r = 0; r < RUNS; r++) {
        const version = `1.0.${r + 1}.0`;
        const form = new FormData();
        form.append('version', version);
        form.append('package', new Blob([await zipOf(100 + r)]), 'p.zip');
        await api('POST', `/api/v1/mini-programs/${id}/packages`, form);
        const during = load({ url: `${s.url}/client/v1/resources`, body: probe.body, connections: 16, duration: 8 }, { tolerate: true });
        await sleep(500);
        const t0 = performance.now();
        const before = new Set((await api('GET', '/api/v1/signing-jobs')).items.map((j) => j.id));
        await api('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`);
        // The signer's own progress (in memory: polling it costs the server nothing).
        let job;
        for (;;) {
          job = (await api('GET', '/api/v1/signing-jobs')).items.find((j) => !before.has(j.id) && j.total > 1);
          if (job && job.status !== 'running') break;
          await sleep(100);
        }
        const secs = (performance.now() - t0) / 1000;
        const g = await during;
        if (g.errors || g.non2xx)
          say(`  the gate had ${g.errors} errors (timeouts: ${g.timeouts}) and ${g.non2xx} non-2xx answers meanwhile`);
        if (s.child.exitCode !== null) throw new Error(`the server exited during the fan-out: ${s.stderr()}`);
        if (job.status !== 'done' || job.done !== 10_000) throw new Error(`signing ${job.status}: ${job.done}/${job.total} ${job.error}`);
        // Each host app gets two signatures: the package's (its key, the package) and the binding one.
        rates.push((2 * job.done) / secs);
        p99s.push(g.p99);
        say(
          `signing run ${r + 1}: ${job.done} host apps in ${secs.toFixed(1)} s = ${((2 * job.done) / secs).toFixed(0)} sig/s; gate p99 ${g.p99} ms`,
        );
      }
      results.signing = { sigPerSecond: median(rates), hostAppsPerSecond: median(rates) / 2, gateP99: median(p99s) };
    } finally {
      await stopServer(s);
    }
    await memoryAndStartup(env, id);
  },

  /** Admin search on SQLite at 100,000 host apps: p95 of substring and exact-APPID queries. */
  async search() {
    const env = sqliteEnv('search');
    const appIds = await seedHostApps(env.DATABASE_URL, 100_000, 0);
    const s = await startServer(env);
    try {
      results.search = await searchLatencies(s.url, appIds);
    } finally {
      await stopServer(s);
    }
  },

  /** Admin search on PostgreSQL at 1,000,000 host apps (substring through the pg_trgm index). */
  async postgres() {
    const dbName = `mpop_bench_${randomBytes(4).toString('hex')}`;
    const admin = connectDatabase(PG_URL);
    try {
      await sql`create database ${sql.id(dbName)}`.execute(admin.db);
    } catch (err) {
      say(`PostgreSQL at ${PG_URL} is not usable (${err.message}); skipping`);
      await admin.db.destroy();
      return;
    }
    const url = new URL(PG_URL);
    url.pathname = `/${dbName}`;
    const databaseUrl = url.toString();
    try {
      const h = connectDatabase(databaseUrl);
      await migrateToLatest(h.db, 'postgres');
      const t0 = performance.now();
      // One statement: a million rows from generate_series (bench only; the application never builds SQL like this).
      await sql`insert into host_apps (app_id, workspace_id, tenant_id, name, name_key, source, created_at, updated_at)
        select upper(lpad(to_hex(g), 13, '0')), 'bench', 'TENANTAA', ${sql.raw(NAME_SQL)}, lower(${sql.raw(NAME_SQL)}), 'manual', now(), now()
        from generate_series(1, 1000000) as g`.execute(h.db);
      await sql`analyze host_apps`.execute(h.db);
      say(`PostgreSQL: 1,000,000 host apps seeded and indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      await h.db.destroy();
      const s = await startServer({ DATABASE_URL: databaseUrl, MPOP_DATA_DIR: path.join(work, 'pg') });
      try {
        const sample = Array.from({ length: 50 }, (_, i) => (1 + i * 19_997).toString(16).toUpperCase().padStart(13, '0'));
        results.postgres = await searchLatencies(s.url, sample);
      } finally {
        await stopServer(s);
      }
    } finally {
      await sql`drop database if exists ${sql.id(dbName)} with (force)`.execute(admin.db);
      await admin.db.destroy();
    }
  },
};
// `memory` and `startup` are measured on the signing benchmark's data (100,000 host apps, 10,000 warm in the gate).
bench.memory = async () => {
  if (!only.includes('signing')) await bench.signing();
};
bench.startup = bench.memory;

// ---------- data ----------
const WORDS = ['retail', 'bank', 'travel', 'mall', 'coupon', 'pay', 'food', 'ride', 'games', 'health', 'news', 'music'];
// Names like "coupon travel 4242": each word in a twelfth of them, each number once.
const nameOf = (i) => `${WORDS[i % 12]} ${WORDS[Math.floor(i / 12) % 12]} ${i}`;
const NAME_SQL = `(array['retail','bank','travel','mall','coupon','pay','food','ride','games','health','news','music'])[g % 12 + 1] || ' ' || (array['retail','bank','travel','mall','coupon','pay','food','ride','games','health','news','music'])[(g / 12) % 12 + 1] || ' ' || g`;

/** Seeds `total` host apps straight into the database, the last `configured` of them with their own keys. @returns their APPIDs. */
async function seedHostApps(databaseUrl, total, configured) {
  const h = connectDatabase(databaseUrl);
  await migrateToLatest(h.db, h.dialect);
  const box = new SecretBox(Buffer.from(MASTER_KEY, 'base64'));
  const now = new Date().toISOString();
  const appIds = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i += 1000) {
    const rows = [];
    for (let j = i; j < Math.min(total, i + 1000); j++) {
      const appId = (0x1000000000000 + j).toString(16).toUpperCase().slice(-13);
      appIds.push(appId);
      rows.push({
        appId,
        workspaceId: 'bench',
        tenantId: 'TENANTAA',
        name: nameOf(j),
        nameKey: nameKey(nameOf(j)),
        source: 'manual',
        createdAt: now,
        updatedAt: now,
      });
    }
    await h.db.insertInto('hostApps').values(rows).execute();
  }
  if (configured > 0) {
    const keys = benchKeys(configured);
    const ids = await h.db.selectFrom('hostApps').select(['id', 'appId']).orderBy('id', 'desc').limit(configured).execute();
    for (let i = 0; i < ids.length; i += 500) {
      await h.db
        .insertInto('devConfigs')
        .values(
          ids.slice(i, i + 500).map(({ id, appId }, j) => {
            const key = keys[i + j];
            const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
            return {
              hostAppId: id,
              virtualDomain: 'bench.example.com',
              keyFileName: 'k.pem',
              keyBits: 2048,
              keyFormat: 'pkcs8',
              keyFingerprint: createHash('sha256').update(spki).digest('hex'),
              publicKeyPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }),
              privateKeySealed: box.seal(Buffer.from(key.export({ type: 'pkcs8', format: 'pem' })), keyAad('bench', appId)),
              keyUploadedAt: now,
              updatedAt: now,
            };
          }),
        )
        .execute();
    }
  }
  await h.db.destroy();
  say(`seeded ${total} host apps (${configured} with keys) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return appIds;
}

async function authoriseConfigured(databaseUrl, miniProgramId) {
  const h = connectDatabase(databaseUrl);
  const ids = await h.db.selectFrom('devConfigs').select('hostAppId').execute();
  const now = new Date().toISOString();
  for (let i = 0; i < ids.length; i += 500)
    await h.db
      .insertInto('hostAppMiniPrograms')
      .values(ids.slice(i, i + 500).map(({ hostAppId }) => ({ hostAppId, miniProgramId, createdAt: now })))
      .execute();
  await h.db.destroy();
}

/** A configured host app with 10 mini programs on a running server: the gate's probe during the fan-out. */
async function gateFixtureOn(api, url) {
  const [key] = benchKeys(1);
  const appId = await configuredHostApp(api, 'Probe', key.export({ type: 'pkcs8', format: 'pem' }));
  for (let i = 0; i < 10; i++) {
    const id = await releasedMiniProgram(api, `Probe MP ${i}`, i);
    await api('PUT', `/api/v1/host-apps/bench/${appId}/mini-programs/${id}`);
  }
  const body = resourcesBody(appId);
  await answersFor(url, [body]);
  return { body };
}

/** Peak RSS after every configured host app asked the gate once; and start to /readyz, on 100,000 host apps. */
async function memoryAndStartup(env) {
  const h = connectDatabase(env.DATABASE_URL);
  const appIds = (
    await h.db.selectFrom('hostApps').innerJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id').select('hostApps.appId').execute()
  ).map((r) => r.appId);
  await h.db.destroy();
  const peaks = [];
  const starts = [];
  for (let r = 0; r < RUNS; r++) {
    const s = await startServer(env);
    starts.push(s.readyMs);
    try {
      // Every configured host app asks once (16 at a time): the gate's cache holds 10,000 answers.
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < appIds.length) {
            const res = await fetch(`${s.url}/client/v1/resources`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: resourcesBody(appIds[next++]),
            });
            if (!res.ok) throw new Error(`warm-up: ${res.status}`);
            await res.arrayBuffer();
          }
        }),
      );
      const status = fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
      peaks.push(Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024);
    } finally {
      await stopServer(s);
    }
    say(`memory/start-up run ${r + 1}: peak RSS ${peaks[r].toFixed(0)} MiB, ready in ${starts[r].toFixed(0)} ms`);
  }
  results.memory = { peakMiB: median(peaks) };
  results.startup = { readyMs: median(starts) };
}

/** Sequential admin searches (one at a time, as a person types): p95 of substring and exact-APPID queries. */
async function searchLatencies(url, appIds) {
  const api = await signIn(url);
  const time = async (query) => {
    const t0 = performance.now();
    await api('GET', `/api/v1/host-apps?workspaceId=bench&pageSize=20&query=${encodeURIComponent(query)}`);
    return performance.now() - t0;
  };
  // What a person types: the end of a name (a word and its number), sometimes only a number.
  const substrings = Array.from({ length: 200 }, (_, i) => {
    const n = (i * 7919) % 100_000;
    return i % 4 ? `${WORDS[Math.floor(n / 12) % 12]} ${n}` : `${n}`;
  });
  const exact = Array.from({ length: 200 }, (_, i) => appIds[(i * 7919) % appIds.length]);
  for (const q of substrings.slice(0, 20)) await time(q); // warm-up
  const sub = [];
  for (const q of substrings) sub.push(await time(q));
  const ex = [];
  for (const q of exact) ex.push(await time(q));
  const deep = [];
  for (let i = 0; i < 20; i++) deep.push(await time(WORDS[i % 12])); // a twelfth of all host apps match: counted in full
  say(
    `search: substring p95 ${pct(sub, 0.95).toFixed(1)} ms, exact p95 ${pct(ex, 0.95).toFixed(1)} ms, broad p95 ${pct(deep, 0.95).toFixed(1)} ms`,
  );
  return { substringP95: pct(sub, 0.95), exactP95: pct(ex, 0.95), broadP95: pct(deep, 0.95) };
}

// ---------- run and report ----------
const load1 = os.loadavg()[0];
const startedAt = new Date();
for (const name of ALL.filter((n) => only.includes(n))) {
  if ((name === 'memory' || name === 'startup') && results.memory) continue;
  say(`== ${name}`);
  await bench[name]();
}
const load2 = os.loadavg()[0];
// MPOP_BENCH_KEEP=1 keeps the seeded data (and prints where) for experiments by hand.
if (process.env.MPOP_BENCH_KEEP) {
  fs.writeFileSync(path.join(work, 'master-key'), MASTER_KEY);
  say(`kept the seeded data in ${work} (its master key in ${work}/master-key)`);
} else fs.rmSync(work, { recursive: true, force: true });
// A subset run keeps the other rows of the last runs (bench/.results.json, not committed), each with its date.
const saved = path.join(root, 'bench/.results.json');
const previous = fs.existsSync(saved) ? JSON.parse(fs.readFileSync(saved, 'utf8')) : {};
for (const [k, v] of Object.entries(results)) previous[k] = { ...v, at: startedAt.toISOString(), runs: RUNS, load: [load1, load2] };
fs.writeFileSync(saved, JSON.stringify(previous, null, 2));
Object.assign(results, Object.fromEntries(Object.entries(previous).filter(([k]) => !(k in results))));
writeReport();

function writeReport() {
  const f = (n, d = 0) => (n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const verdict = (ok) => (ok === undefined ? 'not run' : ok ? 'met' : 'missed');
  const r = results;
  const gateCell = (g) =>
    `${f(g.cpuRatio, 2)} (${f(g.cpuUs, 1)} µs vs ${f(g.bareCpuUs, 1)} µs; a bare Fastify answering the same bytes ${f(g.fastifyCpuUs, 1)} µs` +
    `${Object.entries(g.variants ?? {})
      .map(([k, v]) => `; ${k} ${f(v.cpuUs, 1)} µs, ${f(v.perGate, 2)} × the gate's`)
      .join('')}); ` +
    `load generator ${f(g.loadCpuUs, 1)} µs per request; ${f(g.gate)} vs ${f(g.bare)} req/s (${f(g.ratio, 2)}), p99 ${f(g.p99)} ms (bare ${f(g.bareP99)} ms)`;
  const rows = [
    [
      'gate, one host app, 10 mini programs per answer, everything (no mini program named), 64 connections: server CPU per answer / bare node:http',
      r.gate && gateCell(r.gate),
      '≤ 1.5, p99 ≤ 10 ms',
      r.gate && r.gate.cpuRatio <= 1.5 && r.gate.p99 <= 10,
    ],
    [
      'the same, the ten mini programs named with "*"',
      r.gateNamed && gateCell(r.gateNamed),
      '≤ 2, p99 ≤ 10 ms',
      r.gateNamed && r.gateNamed.cpuRatio <= 2 && r.gateNamed.p99 <= 10,
    ],
    [
      'the same over 300 host apps with their own keys, one mini program per answer',
      r.spread &&
        `${f(r.spread.ratio, 2)} (${f(r.spread.gate)} req/s, p99 ${f(r.spread.p99)} ms); CPU per answer ${f(r.spread.cpuUs, 1)} µs (bare ${f(r.spread.bareCpuUs, 1)} µs)`,
      '≥ 0.8',
      r.spread && r.spread.ratio >= 0.8,
    ],
    [
      'gate with MPOP_WORKERS=2 / one worker',
      r.workers &&
        `${f(r.workers.ratio, 2)} (${f(r.workers.two)} vs ${f(r.workers.one)} req/s); server CPU per answer ${f(r.workers.twoCpuUs, 1)} vs ${f(r.workers.oneCpuUs, 1)} µs, the load generator's ${f(r.workers.loadCpuUs, 1)} µs on the same cores`,
      '≥ 1.3',
      r.workers && r.workers.ratio >= 1.3,
    ],
    [
      'signing fan-out, one release to 10,000 host apps with their own keys (SQLite); gate p99 meanwhile',
      r.signing &&
        `${f(r.signing.sigPerSecond)} sig/s (${f(r.signing.hostAppsPerSecond)} host apps/s, 2 signatures each); gate p99 ${f(r.signing.gateP99)} ms`,
      '≥ 1,000 sig/s, p99 ≤ 50 ms',
      r.signing && r.signing.sigPerSecond >= 1000 && r.signing.gateP99 <= 50,
    ],
    [
      'admin search p95, 100,000 host apps, SQLite (substring / exact APPID)',
      r.search && `${f(r.search.substringP95, 1)} ms / ${f(r.search.exactP95, 1)} ms (broad query: ${f(r.search.broadP95, 1)} ms)`,
      '≤ 10 ms / ≤ 5 ms',
      r.search && r.search.substringP95 <= 10 && r.search.exactP95 <= 5,
    ],
    [
      'admin search p95 on PostgreSQL (substring), 1,000,000 host apps',
      r.postgres && `${f(r.postgres.substringP95, 1)} ms (exact ${f(r.postgres.exactP95, 1)} ms, broad ${f(r.postgres.broadP95, 1)} ms)`,
      '≤ 50 ms',
      r.postgres && r.postgres.substringP95 <= 50,
    ],
    [
      'server RSS after 100,000 host apps and a warm gate (peak)',
      r.memory && `${f(r.memory.peakMiB)} MiB`,
      '≤ 192 MiB',
      r.memory && r.memory.peakMiB <= 192,
    ],
    [
      'start to /readyz with 100,000 host apps',
      r.startup && `${f(r.startup.readyMs / 1000, 2)} s`,
      '≤ 1 s',
      r.startup && r.startup.readyMs <= 1000,
    ],
  ];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Each figure is the
median of ${RUNS} runs of ${SECONDS} s; every ratio compares two measurements of the same run. The server runs as
\`packages/server/dist/main.js\` in its own process, the load comes from autocannon in another process, and the
baseline is a bare \`node:http\` server in a third process answering the same bytes (bench/bare-server.mjs). Rate
limits are on (per address raised so that the one load address is counted but never refused).

- Machine: ${os.cpus().length} × ${cpu}, ${f(os.totalmem() / 2 ** 30)} GiB; ${os.type()} ${os.release()}
- Node.js ${process.version}
- Load average (1 min) ${f(load1, 1)} at the start, ${f(load2, 1)} at the end${load1 > os.cpus().length ? ': **the machine was busy with other work**, so absolute figures are low and noisy; ratios suffer less' : ''}

| figure | this run | target | |
|---|---|---|---|
${rows.map(([a, b, c, ok]) => `| ${a} | ${b ?? 'not run'} | ${c} | ${verdict(ok)} |`).join('\n')}

How to read them, and what they do not say, is in the notes below (written by hand; the table above is rewritten
by every run).
${fs.existsSync(path.join(root, 'docs/BENCHMARKS.notes.md')) ? `\n${fs.readFileSync(path.join(root, 'docs/BENCHMARKS.notes.md'), 'utf8')}` : ''}`;
  fs.writeFileSync(path.join(root, 'docs/BENCHMARKS.md'), md);
  console.log(`\n${md}`);
}
