#!/usr/bin/env node
// `npm run simulate -- --devices 1000 --config mpop-<APPID>.json [--url http://localhost:8080]`
// Acts as a fleet of devices of one host app through @mpop/client: each asks the gate for its mini programs,
// downloads and verifies the packages, and reports a launch, so an operator can watch adoption move in the console.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MpopClient, MemoryCache } from '@mpop/client';

const HELP = `Usage: npm run simulate -- --config mpop-<APPID>.json [options]

  --config <file>         the host app's config file (console: View Basic Information > Download config file)
  --devices <n>           how many devices (default 100)
  --url <base>            the server to talk to, when the config's gatewayUrl is not reachable from here
                          (for example http://localhost:8080); package URLs are rewritten to it too
  --online <share>        share of the devices that come online in this run, 0..1 (default 1): the others keep
                          the version they last reported, as phones that were not opened
  --offset <n>            first device number (default 0): devices are <prefix>-<n>
  --prefix <text>         device ID prefix (default sim)
  --platform <p>          android | ios | harmony (default android)
  --client-version <v>    the host app version the devices run (default 10.0.0)
  --concurrency <n>       devices working at once (default 20)
  --fail-share <share>    share of devices that report a failed launch instead of a launch (default 0)
  --help                  this text

The devices share one package cache, as if behind one CDN: each package is downloaded once per run, but every
device verifies it. From one address the server's per-address rate limit applies (MPOP_RATE_LIMIT_PER_ADDRESS, 3,000 a
minute by default); the simulator waits when told to (429 with Retry-After), or start the server with a higher limit.`;

/** Runs a simulated fleet; resolves with what happened. */
export async function simulate(opts) {
  const config = typeof opts.config === 'string' ? JSON.parse(fs.readFileSync(opts.config, 'utf8')) : opts.config;
  let fetchImpl = globalThis.fetch;
  if (opts.url) {
    const base = new URL(opts.url);
    const original = new URL(config.gatewayUrl);
    config.gatewayUrl = `${base.origin}${original.pathname}`;
    // Package URLs are under the server's public URL too: send them to the same place.
    fetchImpl = (input, init) => {
      const u = new URL(typeof input === 'string' ? input : input.url);
      if (u.origin === original.origin) return globalThis.fetch(`${base.origin}${u.pathname}${u.search}`, init);
      return globalThis.fetch(input, init);
    };
  }
  const devices = opts.devices ?? 100;
  const online = Math.round(devices * (opts.online ?? 1));
  const failing = Math.round(online * (opts.failShare ?? 0));
  const cache = new MemoryCache();
  const totals = { devices: online, resources: 0, verified: 0, launches: 0, failures: 0, errors: 0, versions: {} };
  let next = 0;
  const work = async () => {
    for (let i = next++; i < online; i = next++) {
      const n = (opts.offset ?? 0) + i;
      const client = new MpopClient({
        config,
        deviceId: `${opts.prefix ?? 'sim'}-${n}`,
        platform: opts.platform ?? 'android',
        clientVersion: opts.clientVersion ?? '10.0.0',
        cache,
        fetch: fetchImpl,
        // A local server is plain http: its package URLs are too (a real host app takes https only).
        allowHttp: new URL(config.gatewayUrl).protocol === 'http:',
        reportDelayMs: 60_000, // everything goes with the launch report, in one request per device
      });
      try {
        const resources = await client.resources();
        totals.resources += resources.length;
        const launches = [];
        for (const r of resources) {
          try {
            await client.download(r);
            totals.verified++;
            const failed = i < failing;
            launches.push({
              type: failed ? 'failure' : 'launch',
              miniProgramId: r.miniProgramId,
              version: r.version,
              ...(failed ? { detail: 'simulated launch failure' } : {}),
            });
            totals[failed ? 'failures' : 'launches']++;
            totals.versions[r.version] = (totals.versions[r.version] ?? 0) + 1;
          } catch (err) {
            totals.failures++;
            opts.log?.(`device ${n}: ${r.miniProgramId} ${r.version} refused: ${err.code}: ${err.message}`);
          }
        }
        await client.report(launches);
      } catch (err) {
        totals.errors++;
        opts.log?.(`device ${n}: ${err.code ?? 'ERROR'}: ${err.message}`);
      } finally {
        await client.close().catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 20) }, work));
  return totals;
}

async function main() {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      devices: { type: 'string' },
      url: { type: 'string' },
      online: { type: 'string' },
      offset: { type: 'string' },
      prefix: { type: 'string' },
      platform: { type: 'string' },
      'client-version': { type: 'string' },
      concurrency: { type: 'string' },
      'fail-share': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(HELP);
  if (!values.config) {
    console.error(`simulate: --config is required.\n\n${HELP}`);
    process.exit(2);
  }
  const number = (name, raw, fallback, min, max) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      console.error(`simulate: --${name} must be a number from ${min} to ${max}; it is "${raw}".`);
      process.exit(2);
    }
    return n;
  };
  const opts = {
    config: values.config,
    devices: number('devices', values.devices, 100, 1, 10_000_000),
    url: values.url,
    online: number('online', values.online, 1, 0, 1),
    offset: number('offset', values.offset, 0, 0, Number.MAX_SAFE_INTEGER),
    prefix: values.prefix,
    platform: values.platform,
    clientVersion: values['client-version'],
    concurrency: number('concurrency', values.concurrency, 20, 1, 1000),
    failShare: number('fail-share', values['fail-share'], 0, 0, 1),
    log: (line) => console.error(line),
  };
  const started = Date.now();
  console.log(`simulate: ${Math.round(opts.devices * opts.online)} of ${opts.devices} devices of ${values.config} coming online…`);
  const totals = await simulate(opts);
  console.log(JSON.stringify({ ...totals, seconds: Math.round((Date.now() - started) / 100) / 10 }));
  if (totals.errors > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`simulate: ${err.message}`);
    process.exit(1);
  });
}
