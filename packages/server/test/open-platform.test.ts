import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp, userWithRole } from './helpers/app.js';
import { configuredHostApp, member, organisation, served, tokenClient, upload } from './helpers/open-platform.js';
import { makeZip } from './helpers/packages.js';

describe.each(dialects)('the open platform on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let operator: Client;
  let orgId: string;
  let owner: Client & { username: string };
  let dev: Client & { username: string };
  let ci: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    operator = await userWithRole(admin, 'operator');
    orgId = (await organisation(admin, 'Acme Games')).orgId;
    owner = await member(admin, orgId, 'owner');
    dev = await member(admin, orgId, 'developer');
    ci = await tokenClient(dev);
  });
  afterAll(() => t.destroy());

  const newMiniProgram = async (client: Client = dev, body: Record<string, unknown> = { orgId }) => {
    const res = await client.post('/api/v1/mini-programs', { name: `MP ${Math.random().toString(36).slice(2, 8)}`, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().miniProgramId as string;
  };
  const review = async (id: string, version: string) =>
    (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items.find((p: { version: string }) => p.version === version).review;
  const audit = async (action: string) => (await admin.get(`/api/v1/audit-events?action=${action}&pageSize=100`)).json().items;

  describe('organisations and members', () => {
    it('creates an organisation that needs review, with a readable ID, and shows members their memberships', async () => {
      const org = (await admin.get(`/api/v1/organisations/${orgId}`)).json();
      expect(org).toMatchObject({ orgId: 'acme-games', name: 'Acme Games', reviewRequired: true, suspended: false, members: 2 });
      expect((await dev.get('/api/v1/session')).json().user).toEqual({
        username: dev.username,
        role: null,
        memberships: [{ orgId, role: 'developer' }],
      });
      // The built-in organisation exists from the first organisation on, and members see only their own.
      expect((await admin.get('/api/v1/organisations')).json().items.map((o: { orgId: string }) => o.orgId)).toEqual(
        expect.arrayContaining(['platform', orgId]),
      );
      expect((await dev.get('/api/v1/organisations')).json().items.map((o: { orgId: string }) => o.orgId)).toEqual([orgId]);
      expect((await admin.post('/api/v1/organisations', { name: 'ACME games' })).json().code).toBe('NAME_TAKEN');
      expect(await audit('organisation.created')).not.toHaveLength(0);
    });

    it('keeps the last owner (409 LAST_OWNER), and lets an owner manage members but not settings', async () => {
      expect((await owner.delete(`/api/v1/organisations/${orgId}/members/${owner.username}`)).json().code).toBe('LAST_OWNER');
      expect((await owner.put(`/api/v1/organisations/${orgId}/members/${owner.username}`, { role: 'developer' })).json().code).toBe(
        'LAST_OWNER',
      );
      const extra = await member(admin, orgId, 'developer', 'extra');
      expect((await owner.put(`/api/v1/organisations/${orgId}/members/${extra.username}`, { role: 'owner' })).statusCode).toBe(200);
      expect((await owner.delete(`/api/v1/organisations/${orgId}/members/${extra.username}`)).statusCode).toBe(204);
      expect((await extra.get(`/api/v1/organisations/${orgId}`)).statusCode).toBe(404); // no longer a member
      expect(
        (await owner.request({ method: 'PATCH', url: `/api/v1/organisations/${orgId}`, payload: { reviewRequired: false } })).statusCode,
      ).toBe(403);
      expect((await dev.put(`/api/v1/organisations/${orgId}/members/${dev.username}`, { role: 'owner' })).statusCode).toBe(403);
    });

    it('gives member-only users and their tokens no platform access: no host apps, no token with a role', async () => {
      expect((await dev.get('/api/v1/host-apps')).statusCode).toBe(403);
      expect((await ci.get('/api/v1/host-apps')).statusCode).toBe(403);
      expect((await dev.get('/api/v1/users')).statusCode).toBe(403);
      expect((await dev.post('/api/v1/tokens', { name: 'sneaky', role: 'viewer' })).json().code).toBe('FORBIDDEN');
      expect((await dev.get('/api/v1/tokens')).json().items.every((k: { role: unknown }) => k.role === null)).toBe(true);
    });
  });

  describe('mini programs of an organisation', () => {
    it('lets developers register in their organisation only; others see 404, as if absent', async () => {
      const id = await newMiniProgram(dev, {}); // their only organisation is the default
      expect((await dev.get('/api/v1/mini-programs')).json().items.map((m: { miniProgramId: string }) => m.miniProgramId)).toContain(id);
      const otherOrg = (await organisation(admin)).orgId;
      const stranger = await member(admin, otherOrg, 'developer', 'stranger');
      expect((await stranger.get(`/api/v1/mini-programs/${id}/packages`)).statusCode).toBe(404);
      expect((await upload(stranger, id, '1.0.0.1')).statusCode).toBe(404);
      expect((await stranger.get('/api/v1/mini-programs')).json().items).toEqual([]);
      expect((await stranger.post('/api/v1/mini-programs', { name: 'Intruder', orgId })).statusCode).toBe(404);
      // Existing callers keep working: an operator without orgId registers in `platform`.
      const mp = (await operator.post('/api/v1/mini-programs', { name: 'Internal' })).json();
      expect(mp.orgId).toBe('platform');
    });
  });

  describe('review', () => {
    it('goes draft → in-review → rejected → in-review → approved, and only an approved version is released (NOT_APPROVED)', async () => {
      const id = await newMiniProgram();
      const up = await upload(ci, id, '1.0.0.1');
      expect(up.statusCode, up.body).toBe(201);
      expect(up.json().review).toMatchObject({ state: 'draft', submittedBy: null });
      expect(up.json().review.checks.map((c: { name: string }) => c.name)).toEqual(
        expect.arrayContaining(['size', 'entries', 'compression', 'paths', 'app-json', 'permissions', 'domains']),
      );
      expect((await dev.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/release`)).json().code).toBe('NOT_APPROVED');
      expect((await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/approve`)).json().code).toBe('INVALID_TRANSITION');

      const sub = await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`, { note: 'first' });
      expect(sub.statusCode, sub.body).toBe(200);
      expect(sub.json()).toMatchObject({ state: 'in-review', submittedBy: dev.username, note: 'first' });
      expect((await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`)).json().code).toBe('INVALID_TRANSITION');
      expect((await upload(ci, id, '1.0.0.2')).statusCode).toBe(201);
      expect((await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/submit`)).json().code).toBe('REVIEW_ALREADY_OPEN');
      expect((await dev.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/approve`)).statusCode).toBe(403); // members never decide

      const rejected = await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/reject`, {
        reason: 'The login page leaks the token.',
      });
      expect(rejected.json()).toMatchObject({ state: 'rejected', reason: 'The login page leaks the token.' });
      expect((await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/reject`, { reason: 'again' })).json().code).toBe(
        'INVALID_TRANSITION',
      );
      expect((await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`, { note: 'fixed' })).json()).toMatchObject({
        state: 'in-review',
        reason: null,
      });
      const approved = await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/approve`, { note: 'ok' });
      expect(approved.json()).toMatchObject({ state: 'approved', decidedBy: expect.stringMatching(/^operator-/) });
      expect((await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/withdraw`)).json().code).toBe('INVALID_TRANSITION');
      expect((await dev.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/release`)).json().code).toBe('NOT_APPROVED');
      expect((await dev.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/release`)).statusCode).toBe(200);
      for (const action of ['review.submitted', 'review.rejected', 'review.approved']) expect(await audit(action)).not.toHaveLength(0);
    });

    it('withdraws and submits again; refuses the submitter as approver, even an admin (403 SELF_APPROVAL)', async () => {
      const id = await newMiniProgram(admin);
      expect((await upload(admin, id, '2.0.0.0')).statusCode).toBe(201);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/submit`)).statusCode).toBe(200);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/withdraw`)).json().state).toBe('withdrawn');
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/submit`)).json().state).toBe('in-review');
      const self = await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/approve`);
      expect(self.statusCode).toBe(403);
      expect(self.json().code).toBe('SELF_APPROVAL');
      expect((await review(id, '2.0.0.0')).state).toBe('in-review'); // the refusal changed nothing
      expect((await operator.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/approve`)).json().state).toBe('approved');
    });

    it('lists the review queue by state, each organisation its own', async () => {
      const id = await newMiniProgram();
      await upload(ci, id, '3.0.0.0');
      await ci.post(`/api/v1/mini-programs/${id}/packages/3.0.0.0/submit`);
      const queue = (await operator.get('/api/v1/reviews?state=in-review&pageSize=100')).json();
      expect(queue.items.find((i: { miniProgramId: string }) => i.miniProgramId === id)).toMatchObject({
        orgId,
        version: '3.0.0.0',
        review: { state: 'in-review' },
      });
      expect(queue.total).toBeGreaterThanOrEqual(1);
      const stranger = await member(admin, (await organisation(admin)).orgId, 'developer', 'queue');
      expect((await stranger.get('/api/v1/reviews')).json()).toMatchObject({ items: [], total: 0 });
      expect((await dev.get('/api/v1/reviews?state=in-review')).json().items.every((i: { orgId: string }) => i.orgId === orgId)).toBe(true);
    });

    it('lets two versions submitted at once leave exactly one in review (the database decides)', async () => {
      const id = await newMiniProgram();
      await upload(ci, id, '4.0.0.1');
      await upload(ci, id, '4.0.0.2');
      const answers = await Promise.all(['4.0.0.1', '4.0.0.2'].map((v) => ci.post(`/api/v1/mini-programs/${id}/packages/${v}/submit`)));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      expect(answers.find((a) => a.statusCode === 409)!.json().code).toBe('REVIEW_ALREADY_OPEN');
      const states = [(await review(id, '4.0.0.1')).state, (await review(id, '4.0.0.2')).state].sort();
      expect(states).toEqual(['draft', 'in-review']);
    });

    it('refuses to submit a version whose checks failed (409 CHECKS_FAILED), saying which', async () => {
      const id = await newMiniProgram();
      const zip = await makeZip({
        'app.json': JSON.stringify({
          pages: ['pages/index/index'],
          permissions: ['camera', 'read-minds'],
          domains: ['http://api.example.com'],
        }),
        'index.html': '<p>',
      });
      const up = await upload(ci, id, '5.0.0.0', zip);
      expect(up.statusCode).toBe(201);
      const res = await ci.post(`/api/v1/mini-programs/${id}/packages/5.0.0.0/submit`);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('CHECKS_FAILED');
      expect(res.json().detail).toMatch(/permissions: .*read-minds/);
      expect(res.json().detail).toMatch(/domains: .*plain HTTP/);
      expect((await review(id, '5.0.0.0')).state).toBe('draft');
    });
  });

  describe('associations', () => {
    it('asks, is approved and served, cannot ask twice, and stops being served once revoked', async () => {
      const host = await configuredHostApp(admin);
      const id = await newMiniProgram();
      await upload(ci, id, '1.0.0.0');
      await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/submit`);
      await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/approve`);
      expect((await ci.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);

      const asked = await ci.post(`/api/v1/mini-programs/${id}/associations`, { ...host, note: 'please' });
      expect(asked.statusCode, asked.body).toBe(201);
      expect(asked.json()).toMatchObject({ state: 'pending', orgId, miniProgramId: id, note: 'please', requestedBy: dev.username });
      expect((await ci.post(`/api/v1/mini-programs/${id}/associations`, host)).json().code).toBe('ASSOCIATION_EXISTS');
      expect((await ci.post(`/api/v1/mini-programs/${id}/associations`, { workspaceId: 'open', appId: 'NOSUCHAPP' })).statusCode).toBe(404);
      expect(await served(t.app, host)).toEqual([]);
      const { associationId } = asked.json();
      expect((await dev.post(`/api/v1/associations/${associationId}/approve`)).statusCode).toBe(403);

      const approved = await operator.post(`/api/v1/associations/${associationId}/approve`);
      expect(approved.json()).toMatchObject({ state: 'approved', decidedBy: expect.any(String) });
      expect(await served(t.app, host)).toEqual([`${id}@1.0.0.0`]);
      expect((await operator.post(`/api/v1/associations/${associationId}/approve`)).json().code).toBe('INVALID_TRANSITION');
      const listed = (await dev.get(`/api/v1/associations?miniProgramId=${id}`)).json();
      expect(listed).toMatchObject({ total: 1, items: [{ associationId, state: 'approved' }] });
      const authorised = (await admin.get(`/api/v1/host-apps/${host.workspaceId}/${host.appId}/mini-programs`)).json().items;
      expect(authorised.map((a: { miniProgramId: string }) => a.miniProgramId)).toEqual([id]);

      expect((await ci.post(`/api/v1/associations/${associationId}/revoke`)).json().state).toBe('revoked');
      expect(await served(t.app, host)).toEqual([]);
      const again = await ci.post(`/api/v1/mini-programs/${id}/associations`, host);
      expect(again.statusCode).toBe(201);
      expect(
        (await operator.post(`/api/v1/associations/${again.json().associationId}/reject`, { reason: 'Not for this app.' })).json(),
      ).toMatchObject({
        state: 'rejected',
        reason: 'Not for this app.',
      });
      for (const action of ['association.requested', 'association.approved', 'association.revoked', 'association.rejected']) {
        expect(await audit(action)).not.toHaveLength(0);
      }
    });

    it("shows an operator's direct authorisation as an approved association, and its revocation as revoked", async () => {
      const host = await configuredHostApp(admin);
      const id = await newMiniProgram(operator, {});
      expect((await operator.put(`/api/v1/host-apps/${host.workspaceId}/${host.appId}/mini-programs/${id}`)).statusCode).toBe(200);
      const list = async () => (await operator.get(`/api/v1/associations?miniProgramId=${id}`)).json().items;
      expect(await list()).toMatchObject([{ state: 'approved', orgId: 'platform', ...host }]);
      expect((await operator.delete(`/api/v1/host-apps/${host.workspaceId}/${host.appId}/mini-programs/${id}`)).statusCode).toBe(204);
      expect(await list()).toMatchObject([{ state: 'revoked' }]);
    });

    it("hides another organisation's associations (404) and lists only a member's own", async () => {
      const stranger = await member(admin, (await organisation(admin)).orgId, 'developer', 'assoc');
      const mine = (await dev.get('/api/v1/associations?pageSize=100')).json().items;
      expect(mine.length).toBeGreaterThan(0);
      expect((await stranger.get('/api/v1/associations')).json()).toMatchObject({ items: [], total: 0 });
      expect((await stranger.post(`/api/v1/associations/${mine[0].associationId}/revoke`)).statusCode).toBe(404);
    });
  });

  describe('a suspended organisation', () => {
    it('cannot upload, submit or ask (403 ORGANISATION_SUSPENDED); what it released keeps serving', async () => {
      const org = (await organisation(admin)).orgId;
      const vendor = await member(admin, org, 'developer', 'susp');
      const host = await configuredHostApp(admin);
      const id = await newMiniProgram(vendor, {});
      await upload(vendor, id, '1.0.0.0');
      await upload(vendor, id, '1.0.0.1');
      await vendor.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/submit`);
      await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/approve`);
      await vendor.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`);
      const a = (await vendor.post(`/api/v1/mini-programs/${id}/associations`, host)).json();
      await operator.post(`/api/v1/associations/${a.associationId}/approve`);
      expect(await served(t.app, host)).toEqual([`${id}@1.0.0.0`]);

      const patched = await admin.request({ method: 'PATCH', url: `/api/v1/organisations/${org}`, payload: { suspended: true } });
      expect(patched.json()).toMatchObject({ suspended: true });
      for (const res of [
        await upload(vendor, id, '1.0.0.2'),
        await vendor.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`),
        await vendor.post(`/api/v1/mini-programs/${id}/associations`, await configuredHostApp(admin)),
      ]) {
        expect(res.statusCode, res.body).toBe(403);
        expect(res.json().code).toBe('ORGANISATION_SUSPENDED');
      }
      expect((await review(id, '1.0.0.1')).state).toBe('draft');
      expect(await served(t.app, host)).toEqual([`${id}@1.0.0.0`]);
      await admin.request({ method: 'PATCH', url: `/api/v1/organisations/${org}`, payload: { suspended: false } });
      expect((await vendor.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`)).statusCode).toBe(200);
    });
  });
});
