import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Change, ChangeBus, toChange } from '../src/lib/change-bus.js';
import { channelOf, PgNotifyTransport } from '../src/db/pg-notify-transport.js';
import { dialects } from './helpers/app.js';
import { adminQuery, urlWithSchema } from './helpers/postgres.js';

describe('change kinds', () => {
  it.each([
    [
      { kind: 'host-app-gate', workspaceId: 'w', appId: 'A' },
      { kind: 'host-app-gate', workspaceId: 'w', appId: 'A' },
    ],
    [{ kind: 'all-gate-views' }, { kind: 'all-gate-views' }],
    [
      {
        kind: 'signatures-made',
        hostApps: [
          ['w', 'A'],
          ['w', 'B'],
        ],
      },
      {
        kind: 'signatures-made',
        hostApps: [
          ['w', 'A'],
          ['w', 'B'],
        ],
      },
    ],
    [
      { kind: 'all-gate-views', refresh: true },
      { kind: 'all-gate-views', refresh: true },
    ],
    // `keep` is never read from another process; `refresh` only as `true`.
    [{ kind: 'all-gate-views', keep: [['w', 'A']], refresh: 'yes' }, { kind: 'all-gate-views' }],
    // The names older instances send during a rolling upgrade:
    [
      { kind: 'host-app', workspaceId: 'w', appId: 'A' },
      { kind: 'host-app-gate', workspaceId: 'w', appId: 'A' },
    ],
    [{ kind: 'mini-programs' }, { kind: 'all-gate-views' }],
    // Anything unknown or incomplete invalidates every view rather than none:
    [{ kind: 'host-app-gate', workspaceId: 'w' }, { kind: 'all-gate-views' }],
    [{ kind: 'something-newer' }, { kind: 'all-gate-views' }],
    [{ kind: 'signatures-made', hostApps: [['w']] }, { kind: 'all-gate-views' }],
    [{ kind: 'signatures-made' }, { kind: 'all-gate-views' }],
    [null, { kind: 'all-gate-views' }],
  ])('reads %j as %j', (sent, read) => {
    expect(toChange(sent)).toEqual(read);
  });

  it('hands every listener each change published here', async () => {
    const bus = new ChangeBus();
    const seen: Change[] = [];
    const also: Change[] = [];
    bus.onInvalidate((c) => seen.push(c));
    bus.onInvalidate((c) => also.push(c));
    await bus.publish({ kind: 'host-app-gate', workspaceId: 'w', appId: 'A' });
    await bus.publish({ kind: 'all-gate-views' });
    expect(seen).toEqual([{ kind: 'host-app-gate', workspaceId: 'w', appId: 'A' }, { kind: 'all-gate-views' }]);
    expect(also).toEqual(seen);
  });
});

describe.runIf(dialects.includes('postgres'))('the PostgreSQL change transport between old and new instances', () => {
  const silent = { warn: () => {}, error: () => {}, info: () => {} } as never;

  it('reads the NOTIFY payload of an older instance, and sends the new names', async () => {
    const url = process.env.MPOP_TEST_PG_RUN_URL!;
    const pool = new pg.Pool({ connectionString: url });
    const transport = new PgNotifyTransport(pool, url, silent);
    const received: Change[] = [];
    await transport.subscribe((c) => received.push(c));
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const sent: unknown[] = [];
    listener.on('notification', (m) => sent.push(JSON.parse(m.payload ?? '{}').change));
    await listener.query('LISTEN mpop_changes');
    try {
      const old = (change: object) => JSON.stringify({ origin: 'an-older-instance', change });
      await pool.query('select pg_notify($1, $2)', ['mpop_changes', old({ kind: 'host-app', workspaceId: 'w', appId: 'A' })]);
      await pool.query('select pg_notify($1, $2)', ['mpop_changes', old({ kind: 'mini-programs' })]);
      await expect
        .poll(() => received, { timeout: 10_000 })
        .toEqual([{ kind: 'host-app-gate', workspaceId: 'w', appId: 'A' }, { kind: 'all-gate-views' }]);
      await transport.publish({ kind: 'host-app-gate', workspaceId: 'w', appId: 'B' });
      await expect.poll(() => sent.at(-1), { timeout: 10_000 }).toEqual({ kind: 'host-app-gate', workspaceId: 'w', appId: 'B' });
    } finally {
      await listener.end();
      await transport.close();
      await pool.end();
    }
  });

  it('keeps installations in separate schemas of one database apart: each hears only its own schema', async () => {
    const run = process.env.MPOP_TEST_PG_RUN_URL!;
    const schemas = ['t_bus_a', 't_bus_b'].map((s) => `${s}_${process.pid}`);
    for (const s of schemas) await adminQuery(`create schema ${s}`, run);
    const pools = schemas.map((s) => new pg.Pool({ connectionString: urlWithSchema(run, s) }));
    const transports = schemas.map((s, i) => new PgNotifyTransport(pools[i]!, urlWithSchema(run, s), silent));
    const received: Change[][] = [[], []];
    try {
      await transports[0]!.subscribe((c) => received[0]!.push(c));
      await transports[1]!.subscribe((c) => received[1]!.push(c));
      // A third instance of schema A: its change reaches the first instance, never the one of schema B.
      const sameSchema = new PgNotifyTransport(pools[0]!, urlWithSchema(run, schemas[0]!), silent);
      await sameSchema.publish({ kind: 'host-app-gate', workspaceId: 'w', appId: 'A' });
      const other = new PgNotifyTransport(pools[1]!, urlWithSchema(run, schemas[1]!), silent);
      await other.publish({ kind: 'host-app-gate', workspaceId: 'w', appId: 'B' });
      await expect.poll(() => received[0], { timeout: 10_000 }).toEqual([{ kind: 'host-app-gate', workspaceId: 'w', appId: 'A' }]);
      await expect.poll(() => received[1], { timeout: 10_000 }).toEqual([{ kind: 'host-app-gate', workspaceId: 'w', appId: 'B' }]);
      expect(channelOf('public')).toBe('mpop_changes'); // what earlier versions listen on
      expect(channelOf(schemas[0]!)).not.toBe(channelOf(schemas[1]!));
    } finally {
      for (const t of transports) await t.close();
      for (const p of pools) await p.end();
      for (const s of schemas) await adminQuery(`drop schema if exists ${s} cascade`, run);
    }
  });
});
