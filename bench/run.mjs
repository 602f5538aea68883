#!/usr/bin/env node
// mpop benchmarks: `npm run bench` (all), `npm run bench -- --only gate,search` (a subset), `--runs 5` (runs per
// figure; the median is reported). Every server runs in its own process (dist/main.js), load comes from another
// process (autocannon, bench/load.mjs), and the baseline is a bare node:http server in a third process answering the
// same bytes (bench/bare-server.mjs). Each benchmark seeds its own throw-away data. Writes docs/BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import yazl from 'yazl';
import { connectDatabase } from '../packages/server/dist/db/connect.js';
import { migrateToLatest } from '../packages/server/dist/db/migrations/index.js';
import { keyAad, SecretBox } from '../packages/server/dist/lib/crypto.js';
import { nameKey } from '../packages/server/dist/modules/host-apps/host-app.repository.js';
import { serverEnv } from '../scripts/server-env.mjs';
import { benchKeys } from './keys.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'packages/server/dist/main.js');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
// The rows of docs/BENCHMARKS.md: `gate` (CPU per answer against a bare node:http server, both shapes) and `scale`
// (100,000 host apps, 1,000 with keys: start-up with `npm start`, a release fanned out to the 1,000, admin search,
// peak RSS), each on SQLite and PostgreSQL (`--db sqlite` or `--db postgres` for one). `spread` and `workers` are
// older experiments, run only when named.
const ALL = ['gate', 'scale'];
const EXTRA = ['spread', 'workers'];
const only = arg('only', ALL.join(',')).split(',');
for (const o of only)
  if (![...ALL, ...EXTRA].includes(o)) throw new Error(`--only: unknown benchmark "${o}"; choose from ${[...ALL, ...EXTRA].join(', ')}`);
const DBS = arg('db', 'sqlite,postgres').split(',');
const RUNS = Number(arg('runs', '5'));
const SECONDS = Number(arg('seconds', '3'));
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
    // As `npm start` runs it (scripts/server-env.mjs: glibc's malloc settings).
    env: serverEnv({
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
    }),
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
 * The CPU time (ms) of each PostgreSQL server process on this machine (its backends, with whatever else they serve),
 * by process id: what a search costs the database, beside the mpop server's own CPU.
 */
function postgresCpu() {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes(' (postgres) ')) continue;
      const fields = stat.split(') ')[1].split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** PostgreSQL's CPU ms from one reading of postgresCpu to a later one (a process that ended meanwhile is not counted). */
function postgresCpuSince(before, after) {
  if (after.size === 0) return Number.NaN;
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/**
 * autocannon, from its own process. With `server` (a process id), also the CPU time that server (and its workers)
 * spent per answer, in µs; the load generator's own CPU per request is `loadCpuUs`.
 */
async function load(opts, { tolerate = false, server } = {}) {
  const before = server && cpuMs(server);
  const file = path.join(work, `load-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(file, JSON.stringify({ duration: SECONDS, connections: 64, ...opts }));
  const out = await runNode(path.join(root, 'bench/load.mjs'), [`@${file}`]);
  fs.rmSync(file, { force: true });
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
async function gateFixture(name, dbEnv = sqliteEnv(name)) {
  const env = dbEnv;
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
  async gate(db) {
    const pgDb = db === 'postgres' ? await pgDatabase() : undefined;
    if (db === 'postgres' && !pgDb) return;
    const f = await gateFixture(`gate-${db}`, pgDb ? { ...pgDb.env, MPOP_DATA_DIR: path.join(work, 'gate-pg') } : sqliteEnv(`gate-${db}`));
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
      await pgDb?.drop();
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
    results[`gate-${db}`] = summary(runs.everything);
    results[`gateNamed-${db}`] = summary(runs.named);
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
   * 100,000 host apps, the newest 1,000 with their own keys, on one database: `npm start` to /readyz; then, on one
   * server: a release of a mini program authorised for the 1,000, timed until every one of them is answered the new
   * version by the gate (with the gate under load from all 1,000 meanwhile); admin search; the peak RSS of it all.
   */
  async scale(db) {
    const pgDb = db === 'postgres' ? await pgDatabase() : undefined;
    if (db === 'postgres' && !pgDb) return;
    const env = pgDb ? { ...pgDb.env, MPOP_DATA_DIR: path.join(work, 'scale-pg') } : sqliteEnv(`scale-${db}`);
    fs.mkdirSync(env.MPOP_DATA_DIR, { recursive: true });
    try {
      const appIds = await seedHostApps(env.DATABASE_URL, 100_000, FANOUT);
      const starts = [];
      for (let r = 0; r < RUNS; r++) starts.push(await npmStartToReady(env));
      say(`${db}: npm start to /readyz ${starts.map((x) => `${x.ms.toFixed(0)} ms (CPU ${x.cpu.toFixed(0)} ms)`).join(', ')}`);
      const s = await startServer(env);
      try {
        const api = await signIn(s.url);
        const id = (await api('POST', '/api/v1/mini-programs', { name: 'Fan-out' })).miniProgramId;
        await authoriseConfigured(env.DATABASE_URL, id);
        const keyed = appIds.slice(-FANOUT);
        const bodies = keyed.map(resourcesBody);
        await answersFor(s.url, bodies); // every host app asked once: its view is cached, as for a host app in use
        say(`${db}: every host app asked once; RSS ${memoryOf(s.child.pid).text}`);
        const rates = [];
        const p99s = [];
        const cpuPerHostApp = [];
        const aheadRates = [];
        const aheadCpu = [];
        for (let r = 0; r < RUNS; r++) {
          const version = `1.0.${r + 1}.0`;
          const form = new FormData();
          form.append('version', version);
          form.append('package', new Blob([await zipOf(100 + r)]), 'p.zip');
          const uploaded = performance.now();
          const cpuUpload = cpuMs(s.child.pid);
          await api('POST', `/api/v1/mini-programs/${id}/packages`, form);
          // An uploaded version that needs no review may be released at once, so the server signs it ahead for every
          // authorised host app (package and binding signatures), in the background. A user releases after checking
          // the upload (or after its review); the benchmark waits for that job, and reports it on its own.
          await signedAhead(api, id, version);
          aheadRates.push(FANOUT / ((performance.now() - uploaded) / 1000));
          aheadCpu.push((cpuMs(s.child.pid) - cpuUpload) / FANOUT);
          const during = load({ url: `${s.url}/client/v1/resources`, bodies, connections: 16, duration: 4 }, { tolerate: true });
          await sleep(500);
          const t0 = performance.now();
          const mono0 = process.hrtime.bigint() / 1000n;
          const cpu0 = cpuMs(s.child.pid);
          await api('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`);
          const asked = await untilAllShow(s.url, bodies, version);
          // With `--cpu-prof` in MPOP_BENCH_NODE_ARGS: the release's window on the monotonic clock that a profile's
          // timestamps use (µs), to read the profile's samples of that window alone.
          if (process.env.MPOP_BENCH_NODE_ARGS?.includes('--cpu-prof'))
            say(`  release window (monotonic µs) ${mono0}-${process.hrtime.bigint() / 1000n}`);
          const secs = (performance.now() - t0) / 1000;
          // The server's CPU (event loop and signing threads) in that time, per host app: what the machine's cores
          // allow when nothing else runs on them.
          cpuPerHostApp.push((cpuMs(s.child.pid) - cpu0) / FANOUT);
          const g = await during;
          if (g.errors || g.non2xx)
            say(`  the gate had ${g.errors} errors (timeouts: ${g.timeouts}) and ${g.non2xx} non-2xx answers meanwhile`);
          rates.push(FANOUT / secs);
          p99s.push(g.p99);
          say(
            `${db} fan-out run ${r + 1}: ${FANOUT} host apps answered ${version} ${secs.toFixed(2)} s after the release (${(FANOUT / secs).toFixed(0)}/s); gate p99 ${g.p99} ms; server CPU ${cpuPerHostApp.at(-1).toFixed(2)} ms per host app; signed ahead after the upload at ${aheadRates.at(-1).toFixed(0)} host apps/s (server CPU ${aheadCpu.at(-1).toFixed(2)} ms per host app); the askers made ${asked.asked} requests at ${((asked.cpuMs * 1000) / asked.asked).toFixed(0)} µs of CPU each; RSS ${memoryOf(s.child.pid).text}`,
          );
        }
        const search = await searchLatencies(s.url, appIds, s.child.pid, db);
        say(`${db}: after the searches, RSS ${memoryOf(s.child.pid).text}`);
        const peakMiB = memoryOf(s.child.pid).peak;
        say(`${db}: peak RSS ${peakMiB.toFixed(0)} MiB`);
        results[`scale-${db}`] = {
          readyMs: median(starts.map((x) => x.ms)),
          readyCpuMs: median(starts.map((x) => x.cpu)),
          hostAppsPerSecond: median(rates),
          gateP99: median(p99s),
          cpuMsPerHostApp: median(cpuPerHostApp),
          aheadPerSecond: median(aheadRates),
          aheadCpuMsPerHostApp: median(aheadCpu),
          ...search,
          peakMiB,
        };
      } finally {
        await stopServer(s);
      }
    } finally {
      await pgDb?.drop();
    }
  },
};

/** Host apps with their own keys in the scale benchmark (each release signs for all of them). */
const FANOUT = 1000;

/** A fresh PostgreSQL database for one benchmark, or undefined (said why) when PostgreSQL is not usable. */
async function pgDatabase() {
  const name = `mpop_bench_${randomBytes(4).toString('hex')}`;
  const admin = connectDatabase(PG_URL);
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.db);
  } catch (err) {
    say(`PostgreSQL at ${PG_URL} is not usable (${err.message}); skipping`);
    await admin.db.destroy();
    return undefined;
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin.db);
      await admin.db.destroy();
    },
  };
}

/** `npm start` (as a user starts mpop: build check, then the server) until /readyz answers 200; stops it. @returns ms and CPU ms. */
async function npmStartToReady(env) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MPOP_PUBLIC_URL: url,
      MPOP_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'warn',
      MPOP_CONSOLE_DIR: path.join(work, 'no-console'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${stderr}`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(5);
  }
  const ms = performance.now() - started;
  // The CPU time of the whole tree (npm, the build check, the server) until it was ready: what moves least with the load.
  const cpu = cpuMs(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  return { ms, cpu };
}

/** Until the job signing `version` ahead of its release (after its upload) has finished; throws if it failed. */
async function signedAhead(api, id, version) {
  for (;;) {
    const job = (await api('GET', '/api/v1/signing-jobs')).items.find(
      (j) => j.reasonCode === 'prepare' && j.reasonParams.miniProgramId === id && j.reasonParams.version === version,
    );
    if (job?.status === 'failed') throw new Error(`signing ${version} ahead failed: ${job.error}`);
    if (job?.status === 'done') return;
    await sleep(20);
  }
}

/** Keep-alive connections for the devices the fan-out benchmark plays: 16 of them, each asking again and again. */
const askers = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * POSTs a JSON body with `node:http` over a kept-alive connection. @returns the status and the answer's text. Not
 * `fetch`: on these 2 cores the askers' own CPU competes with the server's, and `fetch` took 335–653 µs of it per
 * request against 103–211 µs for this (2026-12-07, same build): the last host apps waited for the askers, not for
 * the server.
 */
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: askers, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asks the gate for each body (16 at a time, as devices would) until every answer names `version`. @returns the
 * requests it made and this process's CPU time meanwhile (ms).
 */
async function untilAllShow(url, bodies, version) {
  let pending = bodies;
  const marker = `"version":"${version}"`;
  const cpu0 = process.cpuUsage();
  let asked = 0;
  for (;;) {
    const left = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < pending.length) {
          const body = pending[next++];
          const r = await post(`${url}/client/v1/resources`, body);
          asked++;
          if (r.status !== 200 || !r.text.includes(marker)) left.push(body);
        }
      }),
    );
    if (left.length === 0) {
      const cpu = process.cpuUsage(cpu0);
      return { asked, cpuMs: (cpu.user + cpu.system) / 1000 };
    }
    pending = left;
    await sleep(20);
  }
}
// ---------- data ----------
// Names like "coupon north 4242": the first word in a tenth of them, the second in a twelfth, each number once. Each
// search is a 4-letter part of a first word found in no other word: it matches a tenth of all host apps.
const FIRST = ['retail', 'banking', 'travel', 'market', 'coupon', 'payment', 'foodie', 'rides', 'games', 'health'];
const SECOND = ['north', 'south', 'east', 'west', 'city', 'metro', 'prime', 'plus', 'lite', 'go', 'one', 'pro'];
const SEARCHES = ['etai', 'anki', 'avel', 'arke', 'coup', 'ayme', 'oodi', 'ides', 'game', 'alth'];
const nameOf = (i) => `${FIRST[i % 10]} ${SECOND[Math.floor(i / 10) % 12]} ${i}`;
for (const [i, q] of SEARCHES.entries()) {
  const hits = [...FIRST, ...SECOND].filter((w) => w.includes(q));
  if (hits.length !== 1 || hits[0] !== FIRST[i]) throw new Error(`bench data: "${q}" must match only ${FIRST[i]}`);
}

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
  // PostgreSQL: as autovacuum would have done by the time a real installation has grown to this size (it analyses a
  // table after inserts of a tenth of it, and vacuums it after a fifth), so that the planner knows the table's size and its columns.
  // Straight after a bulk insert it knows neither, and guesses (a search then read all 100,000 rows).
  if (h.dialect === 'postgres') await sql`vacuum analyze`.execute(h.db);
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

/**
 * Sequential admin searches (one at a time, as a person types and pages): each 4-letter search (a tenth of all host
 * apps match) on pages 1 to 5 with its total, and exact APPIDs. @returns their p95s.
 */
/** The server's resident set now and at its peak so far, in MiB, from /proc (worker threads included), and as text. */
function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) / 1024;
  const [rss, peak] = [mib('VmRSS'), mib('VmHWM')];
  return { rss, peak, text: `${rss.toFixed(0)} MiB (peak ${peak.toFixed(0)} MiB)` };
}

/** Exact APPIDs searched, one after another: enough for a p95 that one slow answer in a hundred does not move. */
const EXACT_SEARCHES = 1000;

async function searchLatencies(url, appIds, pid, db) {
  const dbCpu = db === 'postgres' ? postgresCpu : () => new Map();
  const api = await signIn(url);
  let estimated = 0;
  const time = async (query, page = 1) => {
    const t0 = performance.now();
    const r = await api('GET', `/api/v1/host-apps?workspaceId=bench&pageSize=20&page=${page}&query=${encodeURIComponent(query)}`);
    const ms = performance.now() - t0;
    if (r.totalIsEstimate) estimated++;
    return ms;
  };
  for (const q of SEARCHES) await time(q); // warm-up
  const sub = [];
  const [cpu0, db0] = [cpuMs(pid), dbCpu()];
  for (let round = 0; round < 4; round++) for (const q of SEARCHES) for (let page = 1; page <= 5; page++) sub.push(await time(q, page));
  const [cpu1, db1] = [cpuMs(pid), dbCpu()];
  const ex = [];
  for (let i = 0; i < EXACT_SEARCHES; i++) ex.push(await time(appIds[(i * 7919) % appIds.length]));
  const [cpu2, db2] = [cpuMs(pid), dbCpu()];
  say(
    `search: substring p95 ${pct(sub, 0.95).toFixed(1)} ms (${estimated} of ${sub.length + SEARCHES.length} totals estimated), exact p95 ${pct(ex, 0.95).toFixed(1)} ms`,
  );
  // The server's CPU per answer (sign-in check, query, serialization): what the latency is made of on an idle machine.
  return {
    substringP95: pct(sub, 0.95),
    exactP95: pct(ex, 0.95),
    substringCpuMs: (cpu1 - cpu0) / sub.length,
    exactCpuMs: (cpu2 - cpu1) / ex.length,
    // PostgreSQL's own CPU per answer (its processes, from /proc): what a plan or a round trip costs the database.
    substringDbCpuMs: postgresCpuSince(db0, db1) / sub.length,
    exactDbCpuMs: postgresCpuSince(db1, db2) / ex.length,
  };
}

// ---------- run and report ----------
let load1 = os.loadavg()[0];
const startedAt = new Date();
// `--report`: writes docs/BENCHMARKS.md from the saved results (bench/.results.json) and the notes, running nothing.
const REPORT_ONLY = args.includes('--report');
for (const name of [...ALL, ...EXTRA].filter((n) => only.includes(n) && !REPORT_ONLY)) {
  for (const db of name === 'gate' || name === 'scale' ? DBS : ['sqlite']) {
    say(`== ${name} (${db})`);
    await bench[name](db);
  }
}
let load2 = os.loadavg()[0];
// MPOP_BENCH_KEEP=1 keeps the seeded data (and prints where) for experiments by hand.
if (process.env.MPOP_BENCH_KEEP) {
  fs.writeFileSync(path.join(work, 'master-key'), MASTER_KEY);
  say(`kept the seeded data in ${work} (its master key in ${work}/master-key)`);
} else fs.rmSync(work, { recursive: true, force: true });
// A subset run keeps the other rows of the last runs (bench/.results.json, not committed), each with its date.
const saved = path.join(root, 'bench/.results.json');
const previous = fs.existsSync(saved) ? JSON.parse(fs.readFileSync(saved, 'utf8')) : {};
// This run's rows carry their date too, so the report lists every row's runs, not only the kept ones.
for (const [k, v] of Object.entries(results))
  results[k] = previous[k] = { ...v, at: startedAt.toISOString(), runs: RUNS, load: [load1, load2] };
if (REPORT_ONLY)
  [load1, load2] = Object.values(previous).reduce(([a, b], v) => [Math.max(a, v.load?.[0] ?? 0), Math.max(b, v.load?.[1] ?? 0)], [0, 0]);
fs.writeFileSync(saved, JSON.stringify(previous, null, 2));
Object.assign(results, Object.fromEntries(Object.entries(previous).filter(([k]) => !(k in results))));
writeReport();

function writeReport() {
  const f = (n, d = 0) => (n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  // PostgreSQL's processes' CPU per answer, where measured (not on SQLite, which runs inside the server).
  const dbCpu = (ms) => (Number.isFinite(ms) ? `, PostgreSQL's ${f(ms, 2)} ms` : '');
  const verdict = (ok) => (ok === undefined ? 'not run' : ok ? 'met' : 'missed');
  const r = results;
  const gateCell = (g) =>
    `${f(g.cpuRatio, 2)} (${f(g.cpuUs, 1)} µs vs ${f(g.bareCpuUs, 1)} µs; a bare Fastify answering the same bytes ${f(g.fastifyCpuUs, 1)} µs` +
    `${Object.entries(g.variants ?? {})
      .map(([k, v]) => `; ${k} ${f(v.cpuUs, 1)} µs, ${f(v.perGate, 2)} × the gate's`)
      .join('')}); ` +
    `load generator ${f(g.loadCpuUs, 1)} µs per request; ${f(g.gate)} vs ${f(g.bare)} req/s (${f(g.ratio, 2)}), p99 ${f(g.p99)} ms (bare ${f(g.bareP99)} ms)`;
  const both = (k, cell) =>
    ['sqlite', 'postgres']
      .map((db) => (r[`${k}-${db}`] ? `${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: ${cell(r[`${k}-${db}`])}` : undefined))
      .filter(Boolean)
      .join('<br>') || undefined;
  const all = (k, ok) => {
    const got = ['sqlite', 'postgres'].map((db) => r[`${k}-${db}`]).filter(Boolean);
    return got.length === 0 ? undefined : got.every(ok);
  };
  const rows = [
    [
      'gate, one host app, 10 mini programs in the answer, everything (no mini program named), 64 connections: server CPU per answer / bare node:http of the same run',
      both('gate', gateCell),
      '≤ 1.5',
      all('gate', (g) => g.cpuRatio <= 1.5),
    ],
    ['the same, the ten mini programs named with "*"', both('gateNamed', gateCell), '≤ 2', all('gateNamed', (g) => g.cpuRatio <= 2)],
    [
      "release → every host app's gate answer shows it (1,000 host apps with their own keys, each asking meanwhile); gate p99 during it",
      both(
        'scale',
        (x) =>
          `${f(x.hostAppsPerSecond)} host apps/s, gate p99 ${f(x.gateP99)} ms; server CPU ${f(x.cpuMsPerHostApp, 2)} ms per host app (${f((os.cpus().length * 1000) / x.cpuMsPerHostApp)} host apps/s on ${os.cpus().length} idle cores)` +
          (x.aheadPerSecond === undefined
            ? ''
            : `; before it, signed ahead after the upload at ${f(x.aheadPerSecond)} host apps/s (server CPU ${f(x.aheadCpuMsPerHostApp, 2)} ms per host app)`),
      ),
      '≥ 1,000 host apps/s, p99 ≤ 50 ms',
      all('scale', (x) => x.hostAppsPerSecond >= 1000 && x.gateP99 <= 50),
    ],
    [
      'admin search p95, 100,000 host apps, a 4-letter substring matching 10 % of them, pages 1–5 with total',
      both('scale', (x) => `${f(x.substringP95, 1)} ms (server CPU ${f(x.substringCpuMs, 2)} ms per answer${dbCpu(x.substringDbCpuMs)})`),
      '≤ 10 ms SQLite / ≤ 15 ms PostgreSQL',
      r['scale-sqlite'] || r['scale-postgres']
        ? !(r['scale-sqlite'] && r['scale-sqlite'].substringP95 > 10) && !(r['scale-postgres'] && r['scale-postgres'].substringP95 > 15)
        : undefined,
    ],
    [
      'exact APPID p95',
      both('scale', (x) => `${f(x.exactP95, 1)} ms (server CPU ${f(x.exactCpuMs, 2)} ms per answer${dbCpu(x.exactDbCpuMs)})`),
      '≤ 5 ms',
      all('scale', (x) => x.exactP95 <= 5),
    ],
    [
      'peak RSS of the server (with its signing threads) over that whole run: 100,000 host apps, 1,000 views cached, the fan-outs, the searches',
      both('scale', (x) => `${f(x.peakMiB)} MiB`),
      '≤ 256 MiB',
      all('scale', (x) => x.peakMiB <= 256),
    ],
    [
      '`npm start` to `/readyz` 200 with 100,000 host apps',
      both(
        'scale',
        (x) =>
          `${f(x.readyMs / 1000, 2)} s${x.readyCpuMs === undefined ? '' : ` (CPU of npm, the build check and the server until ready: ${f(x.readyCpuMs / 1000, 2)} s)`}`,
      ),
      '≤ 1 s',
      all('scale', (x) => x.readyMs <= 1000),
    ],
  ];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Each figure is the
median of several runs (how many, per row, below; gate runs of ${SECONDS} s); every ratio compares two measurements
of the same run. The server runs as
\`packages/server/dist/main.js\` in its own process, the load comes from autocannon in another process, and the
baseline is a bare \`node:http\` server in a third process answering the same bytes (bench/bare-server.mjs). Rate
limits are on (per address raised so that the one load address is counted but never refused).

- Machine: ${os.cpus().length} × ${cpu}, ${f(os.totalmem() / 2 ** 30)} GiB; ${os.type()} ${os.release()}
- Node.js ${process.version}
- Load average (1 min) ${f(load1, 1)} at the start, ${f(load2, 1)} at the end${load1 > os.cpus().length ? ': **the machine was busy with other work**, so absolute figures are low and noisy; ratios and CPU per unit suffer less' : ''}
- Each row's runs (a subset run keeps the other rows of earlier runs): ${Object.entries(r)
    .filter(([, v]) => v?.at)
    .map(([k, v]) => `${k} ${v.at.slice(0, 16).replace('T', ' ')} UTC, ${v.runs} runs, load ${f(v.load[0], 1)} → ${f(v.load[1], 1)}`)
    .join('; ')}

| figure | this run | target | |
|---|---|---|---|
${rows.map(([a, b, c, ok]) => `| ${a} | ${b ?? 'not run'} | ${c} | ${verdict(ok)} |`).join('\n')}

How to read them, and what they do not say, is in the notes below (written by hand; the table above is rewritten
by every run).
${fs.existsSync(path.join(root, 'docs/BENCHMARKS.notes.md')) ? `\n${fs.readFileSync(path.join(root, 'docs/BENCHMARKS.notes.md'), 'utf8')}` : ''}`;
  fs.writeFileSync(path.join(root, 'docs/BENCHMARKS.md'), md);
  console.log(`\n${md}`);
}
