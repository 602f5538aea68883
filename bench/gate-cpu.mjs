#!/usr/bin/env node
// A steadier look at the gate's CPU per answer than `npm run bench`, for comparing builds on a busy machine:
// `node bench/gate-cpu.mjs <kept bench dir> [label=path/to/main.js …]`. The kept dir is what `MPOP_BENCH_KEEP=1 npm run
// bench -- --only gate` leaves (its gate-sqlite data and master key). Each server (this tree's dist/main.js as "gate",
// plus the builds named) runs in its own process on a copy of that data, next to bench/bare-server.mjs answering the
// same bytes; a light client in this process (raw sockets, 64 connections, one request at a time on each) sends each
// server a fixed number of requests per round, the servers taking turns, and the CPU time each server process
// spent (/proc) is divided by the answers. Prints the median µs per answer of each, per shape, and the ratio to bare.
// Options by env: GATE_CPU_ROUNDS (7), GATE_CPU_REQUESTS (40000), GATE_CPU_CONNECTIONS (64).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [kept, ...variantArgs] = process.argv.slice(2);
if (!kept) throw new Error('usage: node bench/gate-cpu.mjs <kept bench dir> [label=main.js …]');
const ROUNDS = Number(process.env.GATE_CPU_ROUNDS ?? 7);
const REQUESTS = Number(process.env.GATE_CPU_REQUESTS ?? 40_000);
const CONNECTIONS = Number(process.env.GATE_CPU_CONNECTIONS ?? 64);
const masterKey = fs.readFileSync(path.join(kept, 'master-key'), 'utf8').trim();
// The SQLite fixture's bodies: the first answers written (the PostgreSQL run's come later).
const answersFile = fs
  .readdirSync(kept)
  .filter((f) => f.startsWith('answers-'))
  .sort((a, b) => fs.statSync(path.join(kept, a)).mtimeMs - fs.statSync(path.join(kept, b)).mtimeMs)[0];
const bodies = Object.keys(JSON.parse(fs.readFileSync(path.join(kept, answersFile), 'utf8')));
const shapes = {
  everything: bodies.find((b) => b.includes('"miniPrograms":{}')),
  named: bodies.find((b) => !b.includes('"miniPrograms":{}')),
};
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-gate-cpu-'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startGate(label, main) {
  const dir = path.join(work, label);
  fs.cpSync(path.join(kept, 'gate-sqlite'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'mpop.db.lock'), { force: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = (process.env.MPOP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MPOP_PUBLIC_URL: 'http://127.0.0.1:1', // the same answer bytes from every server
      MPOP_MASTER_KEY: masterKey,
      LOG_LEVEL: 'warn',
      MPOP_CONSOLE_DIR: path.join(work, 'no-console'),
      MPOP_RATE_LIMIT_PER_ADDRESS: '100000000',
      MPOP_DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'mpop.db')}`,
    },
    stdio: ['ignore', process.env.GATE_CPU_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(`${label}: process ${child.pid}`);
  return { label, child, port, path: '/client/v1/resources' };
}

async function startBare(answers) {
  const file = path.join(work, 'answers.json');
  fs.writeFileSync(file, JSON.stringify(answers));
  const nodeArgs = (process.env.MPOP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'bench/bare-server.mjs'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) => child.stdout.once('data', (c) => resolve(Number(String(c).trim().split('\n')[0]))));
  if (process.env.GATE_CPU_STDOUT) child.stdout.pipe(process.stdout);
  else child.stdout.resume();
  return { label: 'bare', child, port, path: '/' };
}

/** Sends `total` requests over CONNECTIONS keep-alive sockets, one at a time on each; resolves when all are answered. */
function drive(server, body, total) {
  const request = Buffer.from(
    `POST ${server.path} HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  let sent = 0;
  let answered = 0;
  return new Promise((resolve, reject) => {
    const sockets = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = net.connect(server.port, '127.0.0.1');
      sockets.push(socket);
      let buf = Buffer.alloc(0);
      const next = () => {
        if (sent < total) {
          sent++;
          socket.write(request);
        }
      };
      socket.on('connect', next);
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.toString('latin1', 0, end);
          if (!head.startsWith('HTTP/1.1 200')) return reject(new Error(`${server.label}: ${head.split('\r\n')[0]}`));
          const length = Number(/content-length: *(\d+)/i.exec(head)[1]);
          if (buf.length < end + 4 + length) return;
          buf = buf.subarray(end + 4 + length);
          if (++answered === total) {
            for (const s of sockets) s.destroy();
            return resolve();
          }
          next();
        }
      });
    }
  });
}

const servers = [await startGate('gate', path.join(root, 'packages/server/dist/main.js'))];
for (const v of variantArgs) {
  const [label, main] = v.split('=');
  servers.push(await startGate(label, path.resolve(main)));
}
const answers = {};
for (const body of Object.values(shapes)) {
  const r = await fetch(`http://127.0.0.1:${servers[0].port}/client/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  answers[body] = await r.text();
}
servers.unshift(await startBare(answers));
const results = {};
try {
  for (const s of servers) for (const body of Object.values(shapes)) await drive(s, body, 5000); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [shape, body] of Object.entries(shapes)) {
      const line = [];
      for (const s of servers) {
        const before = cpuMs(s.child.pid);
        await drive(s, body, REQUESTS);
        const us = ((cpuMs(s.child.pid) - before) * 1000) / REQUESTS;
        results[shape] ??= {};
        results[shape][s.label] ??= [];
        results[shape][s.label].push(us);
        line.push(`${s.label} ${us.toFixed(1)}`);
      }
      console.log(`round ${round + 1} ${shape}: ${line.join(', ')} µs`);
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
for (const [shape, byServer] of Object.entries(results)) {
  const bare = median(byServer.bare);
  const ratios = (label) => median(byServer[label].map((us, i) => us / byServer.bare[i]));
  console.log(
    `${shape}: ${Object.entries(byServer)
      .map(([label, xs]) => `${label} ${median(xs).toFixed(1)} µs${label === 'bare' ? '' : ` (${ratios(label).toFixed(2)} × bare)`}`)
      .join(', ')}; bare ${bare.toFixed(1)} µs`,
  );
}
