#!/usr/bin/env node
// Load generator for the benchmarks, run in its own process so that it does not share the server's event loop:
// `node bench/load.mjs '<json options>'` prints one JSON line with autocannon's result.
import autocannon from 'autocannon';

import fs from 'node:fs';

// The options as JSON, or `@file` naming a file that holds them (many request bodies exceed an argument's limit).
const arg = process.argv[2];
const opts = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const result = await autocannon({
  url: opts.url,
  connections: opts.connections ?? 64,
  duration: opts.duration ?? 5,
  pipelining: 1,
  method: opts.method ?? 'POST',
  headers: opts.headers ?? { 'content-type': 'application/json' },
  ...(opts.body !== undefined ? { body: opts.body } : {}),
  ...(opts.bodies ? { requests: opts.bodies.map((body) => ({ method: 'POST', body })) } : {}),
});
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    // This process's own CPU time: on a machine it shares with the server, the load costs CPU too.
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  })}\n`,
);
