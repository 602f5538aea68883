import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

type Event = { type: string; miniProgramId: string; version: string; at?: string; detail?: string };

/** Events are taken only for a configured host app, an authorised mini program and an uploaded version. */
function fixtures(admin: Client) {
  return {
    async hostApp(name: string, workspaceId: string) {
      const app = (await admin.post('/api/v1/host-apps', { name, workspaceId })).json();
      const res = await admin.put(
        `/api/v1/host-apps/${workspaceId}/${app.appId}/dev-config`,
        devConfigForm(`${name.toLowerCase().replace(/ /g, '-')}.example.com`, sharedKey().pkcs8),
      );
      expect(res.statusCode, res.body).toBe(200);
      return app as { appId: string };
    },
    async miniProgram(name: string, versions: string[]) {
      const id = (await admin.post('/api/v1/mini-programs', { name })).json().miniProgramId as string;
      for (const version of versions) {
        const up = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip()));
        expect(up.statusCode, up.body).toBe(201);
      }
      return id;
    },
    async authorise(workspaceId: string, appId: string, id: string) {
      const res = await admin.put(`/api/v1/host-apps/${workspaceId}/${appId}/mini-programs/${id}`);
      expect(res.statusCode, res.body).toBeLessThan(300);
    },
  };
}

describe.each(dialects)('events and adoption on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let mp: string;
  let other: string;
  const apps: { appId: string }[] = [];

  beforeAll(async () => {
    t = await startApp(dialect, {
      MPOP_RATE_LIMIT_PER_DEVICE: '0',
      MPOP_RATE_LIMIT_PER_ADDRESS: '0',
      MPOP_EVENTS_DEVICES_PER_ADDRESS: '0', // the fleet below reports from one address
    });
    admin = await Client.signIn(t.app);
    const f = fixtures(admin);
    mp = await f.miniProgram('Adopted', ['1.0.0.1', '1.0.0.2']);
    other = await f.miniProgram('Other', ['1.0.0.0', '2.0.0.0', '3.0.0.0']);
    for (const name of ['Fleet A', 'Fleet B']) {
      const app = await f.hostApp(name, 'fleet');
      for (const id of [mp, other]) await f.authorise('fleet', app.appId, id);
      apps.push(app);
    }
  });
  afterAll(() => t.destroy());

  const report = (appId: string, deviceId: string, events: Event[], workspaceId = 'fleet') =>
    t.app.inject({ method: 'POST', url: '/client/v1/events', payload: { appId, workspaceId, deviceId, events } });
  const adoption = async (query: string, id = mp) => {
    const res = await admin.get(`/api/v1/mini-programs/${id}/adoption?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('gives the right shares for a simulated fleet of 1,000 devices on two versions, per host app and over all', async () => {
    // Fleet A: 1,000 devices; 700 moved to 1.0.0.2, 300 stayed on 1.0.0.1. Fleet B: 100 devices, all on 1.0.0.1.
    for (let i = 0; i < 1000; i++) {
      const events: Event[] = [
        { type: 'download', miniProgramId: mp, version: '1.0.0.1', at: new Date(Date.now() - 3600_000).toISOString() },
        { type: 'launch', miniProgramId: mp, version: '1.0.0.1', at: new Date(Date.now() - 3500_000).toISOString() },
      ];
      if (i < 700) {
        events.push(
          { type: 'download', miniProgramId: mp, version: '1.0.0.2' },
          { type: 'verified', miniProgramId: mp, version: '1.0.0.2' },
          { type: 'launch', miniProgramId: mp, version: '1.0.0.2' },
        );
      } else if (i < 750) events.push({ type: 'failure', miniProgramId: mp, version: '1.0.0.2', detail: 'PACKAGE_SIGNATURE' });
      const res = await report(apps[0].appId, `device-${i}`, events);
      expect(res.statusCode).toBe(202);
    }
    for (let i = 0; i < 100; i++) await report(apps[1].appId, `b-device-${i}`, [{ type: 'launch', miniProgramId: mp, version: '1.0.0.1' }]);

    const a = await adoption(`workspaceId=fleet&appId=${apps[0].appId}&days=7`);
    expect(a.versions).toEqual([
      { version: '1.0.0.2', devices: 700, share: 0.7 },
      { version: '1.0.0.1', devices: 300, share: 0.3 }, // a failure does not move a device to the version that failed
    ]);
    expect(a.events).toEqual({ download: 1700, verified: 700, launch: 1700, failure: 50 });
    expect(Date.parse(a.since)).toBeGreaterThan(Date.now() - 7 * 86_400_000 - 60_000);

    const all = await adoption('workspaceId=&appId=&days=7');
    expect(all.versions).toEqual([
      { version: '1.0.0.2', devices: 700, share: 0.6364 },
      { version: '1.0.0.1', devices: 400, share: 0.3636 },
    ]);
    expect(all.events.launch).toBe(1800);
    expect((await adoption(`workspaceId=fleet&appId=${apps[1].appId}`)).versions).toEqual([{ version: '1.0.0.1', devices: 100, share: 1 }]);
    expect(await adoption('', other)).toMatchObject({ versions: [], events: { download: 0, verified: 0, launch: 0, failure: 0 } });
  });

  it("keeps a device's latest report when an older one arrives later", async () => {
    const appId = apps[1].appId;
    await report(appId, 'late-device', [{ type: 'launch', miniProgramId: other, version: '2.0.0.0' }]);
    await report(appId, 'late-device', [
      { type: 'launch', miniProgramId: other, version: '1.0.0.0', at: new Date(Date.now() - 600_000).toISOString() },
    ]);
    expect((await adoption(`workspaceId=fleet&appId=${appId}`, other)).versions).toEqual([{ version: '2.0.0.0', devices: 1, share: 1 }]);
  });

  it('leaves out devices not heard from within the window', async () => {
    const appId = apps[1].appId;
    const mp2 = await fixtures(admin).miniProgram('Window', ['1.0.0.0', '1.0.0.1']);
    await fixtures(admin).authorise('fleet', appId, mp2);
    await report(appId, 'old-device', [
      { type: 'launch', miniProgramId: mp2, version: '1.0.0.0', at: new Date(Date.now() - 3 * 86_400_000).toISOString() },
    ]);
    await report(appId, 'new-device', [{ type: 'launch', miniProgramId: mp2, version: '1.0.0.1' }]);
    expect((await adoption('days=1', mp2)).versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0.1']);
    expect((await adoption('days=7', mp2)).versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0.1', '1.0.0.0']);
  });

  it('answers 403 HOST_APP_NOT_REGISTERED to an app not on the list, and records nothing', async () => {
    const res = await report('ABCDEF0123456', 'd1', [{ type: 'launch', miniProgramId: mp, version: '9.9.9.9' }]);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('HOST_APP_NOT_REGISTERED');
    expect((await adoption('')).versions.map((v: { version: string }) => v.version)).not.toContain('9.9.9.9');
  });

  it('ignores events naming a mini program the platform does not know', async () => {
    const res = await report(apps[0].appId, 'd2', [
      { type: 'launch', miniProgramId: '9999999999999999', version: '1.0.0.0' },
      { type: 'launch', miniProgramId: other, version: '3.0.0.0' },
    ]);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, ignored: 1 });
  });

  const valid = { type: 'launch', miniProgramId: '1234567890123456', version: '1.0.0.0' };
  it.each([
    ['an unknown event type', { events: [{ ...valid, type: 'crash' }] }],
    ['101 events', { events: Array.from({ length: 101 }, () => valid) }],
    ['no events', { events: [] }],
    ['a malformed mini program ID', { events: [{ ...valid, miniProgramId: '12' }] }],
    ['a malformed version', { events: [{ ...valid, version: '1.0' }] }],
    ['a detail over 1 KiB', { events: [{ ...valid, detail: 'x'.repeat(1025) }] }],
    ['a malformed time', { events: [{ ...valid, at: 'yesterday' }] }],
    ['a device ID over 128 characters', { deviceId: 'd'.repeat(129) }],
    ['an empty device ID', { deviceId: '' }],
    ['an unknown field', { extra: 1 }],
  ])('answers 400 VALIDATION_FAILED to %s', async (_label, body) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/events',
      payload: { appId: apps[0].appId, workspaceId: 'fleet', deviceId: 'd3', events: [valid], ...body },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('ignores events of an unconfigured host app, of a mini program not authorised for it, and of a version never uploaded', async () => {
    const f = fixtures(admin);
    const unauthorised = await f.miniProgram('Not Authorised', ['1.0.0.0']);
    const bare = (await admin.post('/api/v1/host-apps', { name: 'Fleet Bare', workspaceId: 'fleet' })).json();
    const before = await adoption('');
    const launch = (miniProgramId: string, version: string) => ({ type: 'launch', miniProgramId, version });
    const res = await report(apps[0].appId, 'd-checks', [
      launch(mp, '1.0.0.2'), // taken
      launch(mp, '7.7.7.7'), // never uploaded
      launch(unauthorised, '1.0.0.0'), // not authorised for this host app
    ]);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, ignored: 2 });
    // A host app without development configuration cannot have loaded anything: all its events are ignored.
    const unconfigured = await report(bare.appId, 'd-checks', [launch(mp, '1.0.0.2')]);
    expect(unconfigured.statusCode).toBe(202);
    expect(unconfigured.json()).toEqual({ accepted: 0, ignored: 1 });
    expect(await adoption('', unauthorised)).toMatchObject({ versions: [], events: { launch: 0 } });
    const after = await adoption('');
    expect(after.versions.map((v: { version: string }) => v.version)).not.toContain('7.7.7.7');
    expect(after.events.launch).toBe(before.events.launch + 1);

    // Authorising it (a change) takes effect at once, though the host app's view was cached.
    await f.authorise('fleet', apps[0].appId, unauthorised);
    expect((await report(apps[0].appId, 'd-checks', [launch(unauthorised, '1.0.0.0')])).json()).toEqual({ accepted: 1, ignored: 0 });
    // A version uploaded after the list was read is taken once the list is read again (at most a second later).
    expect((await report(apps[0].appId, 'd-checks', [launch(unauthorised, '1.0.0.5')])).json()).toEqual({ accepted: 0, ignored: 1 });
    const up = await admin.post(
      `/api/v1/mini-programs/${unauthorised}/packages`,
      packageForm({ version: '1.0.0.5' }, await miniProgramZip()),
    );
    expect(up.statusCode).toBe(201);
    await expect
      .poll(async () => (await report(apps[0].appId, 'd-checks', [launch(unauthorised, '1.0.0.5')])).json().accepted, { timeout: 10_000 })
      .toBe(1);
  });

  it('takes an event dated in the future as happening now, so it cannot pin a device to its version', async () => {
    const appId = apps[1].appId;
    const ahead = new Date(Date.now() + 4 * 60_000).toISOString(); // within any clock skew once believed
    await report(appId, 'pinned-device', [{ type: 'launch', miniProgramId: other, version: '2.0.0.0', at: ahead }]);
    await report(appId, 'pinned-device', [{ type: 'launch', miniProgramId: other, version: '3.0.0.0' }]);
    await t.app.services.events.flush();
    const row = await t.app.db
      .selectFrom('deviceVersions')
      .select(['version', 'reportedAt'])
      .where('deviceId', '=', 'pinned-device')
      .executeTakeFirstOrThrow();
    expect(row.version).toBe('3.0.0.0');
    expect(Date.parse(String(row.reportedAt))).toBeLessThanOrEqual(Date.now());
  });

  it('answers 100 events with 202', async () => {
    const res = await report(
      apps[0].appId,
      'd4',
      Array.from({ length: 100 }, () => ({ type: 'download', miniProgramId: other, version: '3.0.0.0' })),
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 100, ignored: 0 });
  });

  it('answers 404 for an unknown mini program or host app, and 400 for appId without workspaceId', async () => {
    expect((await admin.get('/api/v1/mini-programs/9999999999999999/adoption')).statusCode).toBe(404);
    expect((await admin.get(`/api/v1/mini-programs/${mp}/adoption?workspaceId=fleet&appId=ABCDEF0123456`)).statusCode).toBe(404);
    const res = await admin.get(`/api/v1/mini-programs/${mp}/adoption?appId=${apps[0].appId}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('workspaceId');
    expect((await admin.get(`/api/v1/mini-programs/${mp}/adoption?days=0`)).statusCode).toBe(400);
  });

  it("drops a deleted host app's adoption with it", async () => {
    const gone = await fixtures(admin).hostApp('Fleet Gone', 'fleet');
    const mp3 = await fixtures(admin).miniProgram('Gone', ['1.0.0.0']);
    await fixtures(admin).authorise('fleet', gone.appId, mp3);
    expect((await report(gone.appId, 'g1', [{ type: 'launch', miniProgramId: mp3, version: '1.0.0.0' }])).statusCode).toBe(202);
    expect((await adoption('', mp3)).versions).toHaveLength(1);
    expect((await admin.delete(`/api/v1/host-apps/fleet/${gone.appId}`)).statusCode).toBe(204);
    expect((await adoption('', mp3)).versions).toEqual([]);
    // Its events are refused at once, even though this instance had it cached.
    expect((await report(gone.appId, 'g1', [{ type: 'launch', miniProgramId: mp3, version: '1.0.0.0' }])).statusCode).toBe(403);
  });
});

describe.each(dialects)('a flood of events on %s', (dialect) => {
  const DEVICES = 200;
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    // The default limits, but for fewer devices per address (the test sends more than that many requests).
    t = await startApp(dialect, { MPOP_EVENTS_DEVICES_PER_ADDRESS: String(DEVICES) });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  it('bounds what a flood of invented versions, days and devices from one address can store', async () => {
    const f = fixtures(admin);
    const app = await f.hostApp('Fleet Flooded', 'fleet');
    const flooded = await f.miniProgram('Flooded', ['1.0.0.0']);
    await f.authorise('fleet', app.appId, flooded);
    const rows = async () => {
      await t.app.services.events.flush();
      const count = async (table: 'deviceVersions' | 'eventCounts') =>
        Number(
          (
            await t.app.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .where('miniProgramId', '=', flooded)
              .executeTakeFirstOrThrow()
          ).n,
        );
      return { devices: await count('deviceVersions'), counters: await count('eventCounts') };
    };
    const random = () => Math.floor(Math.random() * 1000);
    const dayAt = () => new Date(Date.now() + (Math.random() * 40 - 35) * 86_400_000).toISOString(); // 35 days ago to 5 ahead
    const types = ['download', 'verified', 'launch', 'failure'];
    const started = Date.now();
    const requests = DEVICES + 100;
    let accepted = 0;
    for (let i = 0; i < requests; i++) {
      const events = Array.from({ length: 100 }, (_, j) => ({
        type: types[j % 4],
        miniProgramId: flooded,
        version: j % 2 ? `${random()}.${random()}.${random()}.${random()}` : '1.0.0.0',
        at: dayAt(),
      }));
      const res = await t.app.inject({
        method: 'POST',
        url: '/client/v1/events',
        remoteAddress: '10.9.9.9',
        payload: { appId: app.appId, workspaceId: 'fleet', deviceId: `flood-${randomBytes(8).toString('hex')}`, events },
      });
      expect(res.statusCode).toBe(202);
      accepted += res.json().accepted;
    }
    const minutes = Math.floor(Date.now() / 60_000) - Math.floor(started / 60_000) + 1;
    const stored = await rows();
    // One adoption row per admitted device; counters only for the one uploaded version, over at most the
    // retention's days (31 dates) and four types, whatever the flood named.
    expect(stored.devices).toBeLessThanOrEqual(DEVICES * minutes);
    expect(stored.counters).toBeLessThanOrEqual(31 * 4);
    expect(accepted).toBeLessThanOrEqual(DEVICES * minutes * 50);
    // Another address is not held back by this one.
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/events',
      remoteAddress: '10.9.9.10',
      payload: {
        appId: app.appId,
        workspaceId: 'fleet',
        deviceId: 'elsewhere',
        events: [{ type: 'launch', miniProgramId: flooded, version: '1.0.0.0' }],
      },
    });
    expect(res.json()).toEqual({ accepted: 1, ignored: 0 });
  }, 120_000);
});

describe.each(dialects)('adoption retention on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect, { MPOP_EVENTS_RETENTION_DAYS: '3' });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  it('keeps MPOP_EVENTS_RETENTION_DAYS of data: older reports are not taken, and the sweep deletes what ages past it', async () => {
    const f = fixtures(admin);
    const app = await f.hostApp('Retained', 'ret');
    const mp = await f.miniProgram('Retained', ['1.0.0.0', '1.0.0.1']);
    await f.authorise('ret', app.appId, mp);
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/events',
      payload: {
        appId: app.appId,
        workspaceId: 'ret',
        deviceId: 'r1',
        events: [
          { type: 'launch', miniProgramId: mp, version: '1.0.0.0', at: daysAgo(4) }, // past the retention: not taken
          { type: 'launch', miniProgramId: mp, version: '1.0.0.1', at: daysAgo(1) },
        ],
      },
    });
    expect(res.json()).toEqual({ accepted: 1, ignored: 1 });
    const url = `/api/v1/mini-programs/${mp}/adoption?days=30`;
    expect((await admin.get(url)).json()).toMatchObject({ versions: [{ version: '1.0.0.1', devices: 1 }], events: { launch: 1 } });

    // One day later nothing has aged out; three days later the device and its counters are gone.
    expect(await t.app.services.events.sweep(Date.now() + 86_400_000)).toEqual({ devices: 0, counters: 0 });
    expect(await t.app.services.events.sweep(Date.now() + 3 * 86_400_000)).toEqual({ devices: 1, counters: 1 });
    expect((await admin.get(url)).json()).toMatchObject({ versions: [], events: { launch: 0 } });
  });
});

describe('events rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { MPOP_RATE_LIMIT_PER_ADDRESS: '5', MPOP_RATE_LIMIT_PER_DEVICE: '3' });
  });
  afterAll(() => t.destroy());

  const report = (remoteAddress: string, appId = 'ABCDEF0123456') =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/events',
      remoteAddress,
      payload: {
        appId,
        workspaceId: 'w',
        deviceId: 'd',
        events: [{ type: 'launch', miniProgramId: '1234567890123456', version: '1.0.0.0' }],
      },
    });

  it('answers 429 RATE_LIMITED with Retry-After past the per-address limit, counting /resources calls too', async () => {
    const resources = () =>
      t.app.inject({
        method: 'POST',
        url: '/client/v1/resources',
        remoteAddress: '10.7.7.7',
        payload: { appId: 'ABCDEF0123456', workspaceId: 'w', platform: 'ios', clientVersion: '1.0', miniPrograms: {} },
      });
    for (let i = 0; i < 3; i++) expect((await resources()).statusCode).toBe(403);
    for (let i = 0; i < 2; i++) expect((await report('10.7.7.7')).statusCode).toBe(403);
    const limited = await report('10.7.7.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits each device too, within its address (its ID sent from elsewhere has a budget of its own)', async () => {
    for (let i = 0; i < 3; i++) expect((await report('10.6.0.1', 'FEDCBA9876543')).statusCode).toBe(403);
    const limited = await report('10.6.0.1', 'FEDCBA9876543');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect((await report('10.6.0.2', 'FEDCBA9876543')).statusCode).toBe(403);
  });
});
