import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';

type UserItem = { username: string; role: string; disabled: boolean };

describe.each(dialects)('managing users on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const signIn = (username: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, remoteAddress: `10.9.${username.length}.1` });
  const patch = (c: Client, username: string, body: unknown) =>
    c.request({ method: 'PATCH', url: `/api/v1/users/${username}`, payload: body as object });
  const create = async (username: string, role: 'admin' | 'operator' | 'viewer') => {
    const res = await admin.post('/api/v1/users', { username, password: `${username}-password-1`, role });
    expect(res.statusCode, res.body).toBe(201);
    return Client.signIn(t.app, username, `${username}-password-1`);
  };
  const listed = async (username: string) =>
    ((await admin.get('/api/v1/users')).json().items as UserItem[]).find((u) => u.username === username);

  describe('PATCH /api/v1/users/{username}', () => {
    it('changes the role; the session and tokens of the user have the new role at once', async () => {
      const olga = await create('olga', 'operator');
      const token = (await olga.post('/api/v1/tokens', { name: 'olga-ci' })).json().token;
      expect((await olga.post('/api/v1/host-apps', { name: 'Before', workspaceId: 'ws-role' })).statusCode).toBe(201);

      const res = await patch(admin, 'olga', { role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ username: 'olga', role: 'viewer', disabled: false });
      expect((await olga.get('/api/v1/session')).json().user.role).toBe('viewer');
      expect((await olga.post('/api/v1/host-apps', { name: 'After', workspaceId: 'ws-role' })).statusCode).toBe(403);
      const viaToken = await new Client(t.app, undefined, token).post('/api/v1/host-apps', { name: 'Token', workspaceId: 'ws-role' });
      expect(viaToken.statusCode).toBe(403);
      expect((await listed('olga'))?.role).toBe('viewer');
    });

    it('disables a user: they cannot sign in, their session and tokens stop; enabling brings sign-in back', async () => {
      const dora = await create('dora', 'operator');
      const token = (await dora.post('/api/v1/tokens', { name: 'dora-ci' })).json().token;
      const bearer = new Client(t.app, undefined, token);
      expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(200);

      const res = await patch(admin, 'dora', { disabled: true });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().disabled).toBe(true);
      expect((await dora.get('/api/v1/session')).statusCode).toBe(401);
      expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(401);
      const refused = await signIn('dora', 'dora-password-1');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('USER_DISABLED');
      expect(refused.headers['set-cookie']).toBeUndefined();
      // The wrong password still gets the answer every wrong password gets: being disabled is not disclosed.
      const wrong = await signIn('dora', 'not-doras-password');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().code).toBe('UNAUTHENTICATED');
      expect((await listed('dora'))?.disabled).toBe(true);

      expect((await patch(admin, 'dora', { disabled: false })).json().disabled).toBe(false);
      expect((await signIn('dora', 'dora-password-1')).statusCode).toBe(200);
      expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(200);
    });

    it("resets a password: the old one stops working, the user's sessions end and their API tokens are revoked", async () => {
      const rita = await create('rita', 'viewer');
      const tokens = [];
      for (const name of ['rita-ci', 'rita-report']) tokens.push((await rita.post('/api/v1/tokens', { name })).json().token as string);
      const adminsOwn = (await admin.post('/api/v1/tokens', { name: 'admins-own' })).json();
      const res = await patch(admin, 'rita', { password: 'a-brand-new-password' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain('a-brand-new-password');
      expect((await rita.get('/api/v1/session')).statusCode).toBe(401);
      expect((await signIn('rita', 'rita-password-1')).statusCode).toBe(401);
      expect((await signIn('rita', 'a-brand-new-password')).statusCode).toBe(200);
      const events = (await admin.get('/api/v1/audit-events?action=user.updated&target=user:rita')).json();
      expect(events.items[0]).toMatchObject({ actor: 'admin', target: 'user:rita', details: { passwordReset: true, tokensRevoked: 2 } });
      expect(JSON.stringify(events)).not.toContain('a-brand-new-password');
      for (const token of tokens) {
        expect(JSON.stringify(events)).not.toContain(token);
        expect((await new Client(t.app, undefined, token).get('/api/v1/host-apps')).statusCode).toBe(401);
      }
      expect(((await admin.get('/api/v1/tokens')).json().items as { createdBy: string }[]).filter((x) => x.createdBy === 'rita')).toEqual(
        [],
      );
      // Only hers: other users' tokens keep working, and a change without a new password revokes nothing.
      expect((await new Client(t.app, undefined, adminsOwn.token).get('/api/v1/host-apps')).statusCode).toBe(200);
      const kept = (await (await Client.signIn(t.app, 'rita', 'a-brand-new-password')).post('/api/v1/tokens', { name: 'rita-new' })).json();
      expect((await patch(admin, 'rita', { role: 'operator' })).statusCode).toBe(200);
      expect((await new Client(t.app, undefined, kept.token).get('/api/v1/host-apps')).statusCode).toBe(200);
    });

    it('rejects an empty change, a short password and an unknown role (400), and an unknown user (404)', async () => {
      await create('vera', 'viewer');
      for (const body of [{}, { password: 'short' }, { role: 'root' }, { disabled: 'yes' }, { username: 'renamed' }]) {
        const res = await patch(admin, 'vera', body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
      }
      const missing = await patch(admin, 'nobody-at-all', { role: 'viewer' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('NOT_FOUND');
    });

    it('refuses operators and viewers, even on themselves (403)', async () => {
      for (const role of ['operator', 'viewer'] as const) {
        const name = `self-${role}`;
        const c = await create(name, role);
        const res = await patch(c, name, { role: 'admin' });
        expect(res.statusCode).toBe(403);
        expect((await listed(name))?.role).toBe(role);
      }
    });
  });

  describe('the last enabled admin', () => {
    it('can be neither demoted, disabled nor deleted (409 LAST_ADMIN), and nothing changes', async () => {
      for (const body of [{ role: 'operator' }, { disabled: true }]) {
        const res = await patch(admin, 'admin', body);
        expect(res.statusCode, JSON.stringify(body)).toBe(409);
        expect(res.json().code).toBe('LAST_ADMIN');
      }
      const del = await admin.delete('/api/v1/users/admin');
      expect(del.statusCode).toBe(409);
      expect(del.json().code).toBe('LAST_ADMIN');
      expect(await listed('admin')).toMatchObject({ role: 'admin', disabled: false });
      expect((await admin.get('/api/v1/session')).statusCode).toBe(200);
    });

    it('a disabled admin does not count: with one enabled admin left, that one is still protected', async () => {
      await create('second-admin', 'admin');
      expect((await patch(admin, 'second-admin', { disabled: true })).statusCode).toBe(200);
      expect((await patch(admin, 'admin', { role: 'viewer' })).json().code).toBe('LAST_ADMIN');
      // …and a disabled admin may be deleted or demoted freely.
      expect((await patch(admin, 'second-admin', { role: 'operator' })).statusCode).toBe(200);
      expect((await admin.delete('/api/v1/users/second-admin')).statusCode).toBe(204);
    });

    it('with two admins, one may be demoted; then the other is the last', async () => {
      const other = await create('other-admin', 'admin');
      expect((await patch(other, 'admin', { role: 'operator' })).statusCode).toBe(200);
      expect((await patch(other, 'other-admin', { disabled: true })).json().code).toBe('LAST_ADMIN');
      // Put things back for the other tests: the original admin is an admin again.
      expect((await patch(other, 'admin', { role: 'admin' })).statusCode).toBe(200);
      admin = await Client.signIn(t.app);
      expect((await admin.delete('/api/v1/users/other-admin')).statusCode).toBe(204);
    });

    it('two admins demoting each other at the same moment leave one admin, not none', async () => {
      const a = await create('race-a', 'admin');
      const b = await create('race-b', 'admin');
      // Three enabled admins (admin, race-a, race-b): demote admin first, so race-a and race-b are the only two.
      expect((await patch(a, 'admin', { role: 'operator' })).statusCode).toBe(200);
      const [ra, rb] = await Promise.all([patch(a, 'race-b', { role: 'viewer' }), patch(b, 'race-a', { role: 'viewer' })]);
      // One wins. The other is refused as the last admin (409) when both were checked before either wrote, or as no
      // admin any more (403) when the winner's change was committed before its request was checked; never both 200.
      const loser = ra.statusCode === 200 ? rb : ra;
      expect([ra.statusCode, rb.statusCode]).toContain(200);
      expect(loser.json().code).toBe(loser.statusCode === 403 ? 'FORBIDDEN' : 'LAST_ADMIN');
      const admins = ((await (ra.statusCode === 200 ? a : b).get('/api/v1/users')).json().items as UserItem[]).filter(
        (u) => u.role === 'admin' && !u.disabled,
      );
      expect(admins).toHaveLength(1);
      const survivor = ra.statusCode === 200 ? a : b;
      expect((await patch(survivor, 'admin', { role: 'admin' })).statusCode).toBe(200);
      admin = await Client.signIn(t.app);
    });
  });

  describe('user names are unique whatever their case', () => {
    it('refuses "Carol" when "carol" exists (409 USER_EXISTS), and finds the user by either spelling', async () => {
      await create('carol', 'viewer');
      const dup = await admin.post('/api/v1/users', { username: 'Carol', password: 'carol-password-2', role: 'admin' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().code).toBe('USER_EXISTS');
      expect(
        ((await admin.get('/api/v1/users')).json().items as UserItem[]).filter((u) => u.username.toLowerCase() === 'carol'),
      ).toHaveLength(1);
      expect((await patch(admin, 'CAROL', { role: 'operator' })).json()).toMatchObject({ username: 'carol', role: 'operator' });
      const session = await signIn('CaRoL', 'carol-password-1');
      expect(session.statusCode).toBe(200);
      expect(session.json().user.username).toBe('carol');
    });

    it('the database itself refuses a second spelling (a unique index on the lower-cased name)', async () => {
      const row = { passwordHash: 'x', role: 'viewer' as const, createdAt: new Date().toISOString(), disabledAt: null };
      await t.app.db
        .insertInto('users')
        .values({ ...row, username: 'dbcase' })
        .execute();
      await expect(
        t.app.db
          .insertInto('users')
          .values({ ...row, username: 'DBCase' })
          .execute(),
      ).rejects.toThrow();
    });
  });

  describe('PUT /api/v1/session/password', () => {
    const change = (c: Client, body: unknown) => c.put('/api/v1/session/password', body);

    it("changes the user's own password with the current one; their other sessions end, this one stays; their API tokens are revoked", async () => {
      const here = await create('paula', 'viewer');
      const elsewhere = await Client.signIn(t.app, 'paula', 'paula-password-1');
      const token = (await here.post('/api/v1/tokens', { name: 'paula-ci' })).json().token as string;
      expect((await new Client(t.app, undefined, token).get('/api/v1/host-apps')).statusCode).toBe(200);
      const res = await change(here, { currentPassword: 'paula-password-1', newPassword: 'paulas-new-password' });
      expect(res.statusCode, res.body).toBe(204);
      expect((await here.get('/api/v1/session')).statusCode).toBe(200);
      expect((await elsewhere.get('/api/v1/session')).statusCode).toBe(401);
      expect((await signIn('paula', 'paula-password-1')).statusCode).toBe(401);
      expect((await signIn('paula', 'paulas-new-password')).statusCode).toBe(200);
      const events = (await admin.get('/api/v1/audit-events?action=user.password-changed&actor=paula')).json();
      expect(events.total).toBe(1);
      expect(events.items[0]).toMatchObject({ target: 'user:paula', details: { tokensRevoked: 1 } });
      expect(JSON.stringify(events)).not.toContain('paulas-new-password');
      expect(JSON.stringify(events)).not.toContain(token);
      expect((await new Client(t.app, undefined, token).get('/api/v1/host-apps')).statusCode).toBe(401);
    });

    it('refuses a wrong current password (400 WRONG_CURRENT_PASSWORD) and changes nothing', async () => {
      const c = await create('wendy', 'operator');
      const token = (await c.post('/api/v1/tokens', { name: 'wendy-ci' })).json().token as string;
      const res = await change(c, { currentPassword: 'not-wendys-password', newPassword: 'wendys-new-password' });
      expect((await new Client(t.app, undefined, token).get('/api/v1/host-apps')).statusCode).toBe(200);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'WRONG_CURRENT_PASSWORD', errors: [{ path: 'currentPassword' }] });
      expect((await signIn('wendy', 'wendy-password-1')).statusCode).toBe(200);
      expect((await c.get('/api/v1/session')).statusCode).toBe(200);
    });

    it('refuses a short new password and the same password again (400 VALIDATION_FAILED)', async () => {
      const c = await create('sam', 'viewer');
      const short = await change(c, { currentPassword: 'sam-password-1', newPassword: 'short' });
      expect(short.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'newPassword' }] });
      const same = await change(c, { currentPassword: 'sam-password-1', newPassword: 'sam-password-1' });
      expect(same.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'newPassword' }] });
    });

    it('refuses an API token (403): only a signed-in person changes a password', async () => {
      const c = await create('tina', 'admin');
      const token = (await c.post('/api/v1/tokens', { name: 'tina-ci' })).json().token;
      const res = await new Client(t.app, undefined, token).put('/api/v1/session/password', {
        currentPassword: 'tina-password-1',
        newPassword: 'tinas-new-password',
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
      expect((await signIn('tina', 'tina-password-1')).statusCode).toBe(200);
      await admin.delete('/api/v1/users/tina');
    });

    it('needs a signed-in user (401)', async () => {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/session/password',
        payload: { currentPassword: ADMIN.password, newPassword: 'whatever-password-1' },
      });
      expect(res.statusCode).toBe(401);
    });
  });
});
