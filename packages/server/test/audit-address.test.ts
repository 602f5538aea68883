import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { AuditRepository } from '../src/modules/audit/audit.repository.js';

type Event = { actor: string; action: string; target: string; address?: string };

/** A client whose every request comes from `address` (as the socket's peer). */
class From extends Client {
  constructor(
    base: Client,
    readonly address: string,
  ) {
    super(base.app, base.cookie, base.bearer);
  }
  override request(opts: InjectOptions) {
    return super.request({ ...opts, remoteAddress: this.address });
  }
}

describe.each(dialects)('the client address of audit events on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const events = async (query: string) => (await admin.get(`/api/v1/audit-events?pageSize=100&${query}`)).json().items as Event[];
  const signInFrom = async (address: string, username = ADMIN.username, password = ADMIN.password) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, remoteAddress: address });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'mpop_session')!;
    return new From(new Client(t.app, `mpop_session=${cookie.value}`), address);
  };

  it('records where a sign-in, a failed one and a sign-out came from', async () => {
    const c = await signInFrom('198.51.100.10');
    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'admin', password: 'not-the-password' },
      remoteAddress: '198.51.100.11',
    });
    expect(failed.statusCode).toBe(401);
    expect((await c.delete('/api/v1/session')).statusCode).toBe(204);
    const log = await events('');
    expect(log.find((e) => e.action === 'session.created')).toMatchObject({ address: '198.51.100.10' });
    expect(log.find((e) => e.action === 'session.failed')).toMatchObject({ address: '198.51.100.11' });
    expect(log.find((e) => e.action === 'session.deleted')).toMatchObject({ address: '198.51.100.10' });
  });

  it('records it for changes made with a session and with an API token, IPv6 included', async () => {
    const c = await signInFrom('2001:db8::7');
    const app = await c.post('/api/v1/host-apps', { name: 'Audited Address', workspaceId: 'ws-address' });
    expect(app.statusCode, app.body).toBe(201);
    const token = (await c.post('/api/v1/tokens', { name: 'address-ci', role: 'operator' })).json();
    const bearer = new From(new Client(t.app, undefined, token.token), '192.0.2.44');
    expect((await bearer.post('/api/v1/mini-programs', { name: 'Audited Program' })).statusCode).toBe(201);
    const user = await c.post('/api/v1/users', { username: 'addressee', password: 'addressee-password-1', role: 'viewer' });
    expect(user.statusCode).toBe(201);
    expect((await bearer.delete(`/api/v1/tokens/${token.id}`)).statusCode).toBe(204);

    const log = await events('');
    const of = (action: string) => log.find((e) => e.action === action);
    expect(of('host-app.created')).toMatchObject({ actor: 'admin', address: '2001:db8::7' });
    expect(of('token.created')).toMatchObject({ address: '2001:db8::7' });
    expect(of('user.created')).toMatchObject({ target: 'user:addressee', address: '2001:db8::7' });
    expect(of('mini-program.created')).toMatchObject({ actor: 'admin (token address-ci)', address: '192.0.2.44' });
    expect(of('token.revoked')).toMatchObject({ address: '192.0.2.44' });
  });

  it('records it for password changes and resets', async () => {
    const user = await signInFrom('198.51.100.20', 'addressee', 'addressee-password-1');
    expect(
      (await user.put('/api/v1/session/password', { currentPassword: 'addressee-password-1', newPassword: 'addressee-password-2' }))
        .statusCode,
    ).toBe(204);
    const adminFrom = new From(admin, '198.51.100.21');
    expect(
      (await adminFrom.request({ method: 'PATCH', url: '/api/v1/users/addressee', payload: { password: 'addressee-password-3' } }))
        .statusCode,
    ).toBe(200);
    const log = await events('target=user:addressee');
    expect(log.find((e) => e.action === 'user.password-changed')).toMatchObject({ address: '198.51.100.20' });
    expect(log.find((e) => e.action === 'user.updated')).toMatchObject({ address: '198.51.100.21' });
  });

  it('answers no address for an event without one (the command line, events from before), and exports it as the last CSV column', async () => {
    await new AuditRepository(t.app.db).record({ actor: 'mpop admin', action: 'master-key.rotated', target: 'installation' });
    const [cli] = await events('action=master-key.rotated');
    expect(cli.actor).toBe('mpop admin');
    expect(cli).not.toHaveProperty('address');
    const csv = (await admin.get('/api/v1/audit-events.csv?target=ws-address')).body.slice(1).split('\r\n');
    expect(csv[0]).toBe('at,actor,action,target,details,address');
    expect(csv[1]).toMatch(/,host-app\.created,host-app:ws-address\/[A-Z0-9]+,.*,2001:db8::7$/);
    const cliCsv = (await admin.get('/api/v1/audit-events.csv?action=master-key.rotated')).body.slice(1).split('\r\n');
    expect(cliCsv[1]).toMatch(/,mpop admin,master-key\.rotated,installation,,$/);
  });

  it('records the address the server derives behind a trusted proxy (X-Forwarded-For), not the proxy', async () => {
    const behind = await startApp(dialect, { MPOP_TRUST_PROXY: '10.0.0.0/8' });
    try {
      const res = await behind.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: ADMIN,
        remoteAddress: '10.1.2.3',
        headers: { 'x-forwarded-for': '203.0.113.50' },
      });
      expect(res.statusCode).toBe(200);
      const c = await Client.signIn(behind.app);
      const [created] = (await c.get('/api/v1/audit-events?action=session.created')).json().items as Event[];
      expect(created.address).toBeDefined();
      const all = (await c.get('/api/v1/audit-events?action=session.created&pageSize=100')).json().items as Event[];
      expect(all.map((e) => e.address)).toContain('203.0.113.50');
      expect(all.map((e) => e.address)).not.toContain('10.1.2.3');
    } finally {
      await behind.destroy();
    }
  });
});
