import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startApp, userWithRole, type TestApp } from './helpers/app.js';

type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Every admin route with the lowest role allowed. Requests carry placeholder IDs: what matters is 401/403 or not. */
const ROUTES: [string, string, Role][] = [
  ['GET', '/api/v1/session', 'viewer'],
  ['GET', '/api/v1/users', 'admin'],
  ['POST', '/api/v1/users', 'admin'],
  ['PATCH', '/api/v1/users/nobody', 'admin'],
  ['DELETE', '/api/v1/users/nobody', 'admin'],
  ['PUT', '/api/v1/session/password', 'viewer'],
  ['GET', '/api/v1/tokens', 'viewer'],
  ['POST', '/api/v1/tokens', 'viewer'],
  ['DELETE', '/api/v1/tokens/none', 'viewer'],
  ['GET', '/api/v1/audit-events', 'viewer'],
  ['GET', '/api/v1/audit-events.csv', 'viewer'],
  ['GET', '/api/v1/host-apps', 'viewer'],
  ['POST', '/api/v1/host-apps', 'operator'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456', 'viewer'],
  ['PATCH', '/api/v1/host-apps/ws/ABCDEF0123456', 'operator'],
  ['DELETE', '/api/v1/host-apps/ws/ABCDEF0123456', 'operator'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456/dev-config', 'viewer'],
  ['PUT', '/api/v1/host-apps/ws/ABCDEF0123456/dev-config', 'operator'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456/dev-config/public-key', 'viewer'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456/config-file', 'viewer'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456/manifest', 'viewer'],
  ['POST', `/api/v1/host-apps/ws/ABCDEF0123456/previous-keys/${'a'.repeat(64)}/retire`, 'operator'],
  ['GET', '/api/v1/mpaas/apps', 'viewer'],
  ['GET', '/api/v1/mpaas/workspaces', 'viewer'],
  ['POST', '/api/v1/host-apps/sync', 'operator'],
  ['GET', '/api/v1/mini-programs', 'viewer'],
  ['POST', '/api/v1/mini-programs', 'operator'],
  ['GET', '/api/v1/mini-programs/1234567890123456/packages', 'viewer'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages/1.0.0.0/release', 'operator'],
  ['GET', '/api/v1/mini-programs/1234567890123456/releases', 'viewer'],
  ['PATCH', '/api/v1/mini-programs/1234567890123456/releases/none', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/rollback', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/take-down', 'operator'],
  ['GET', '/api/v1/signing-jobs', 'viewer'],
  ['POST', '/api/v1/signing-jobs/retry', 'operator'],
  ['GET', '/api/v1/patch-jobs', 'viewer'],
  ['GET', '/api/v1/mini-programs/1234567890123456/adoption', 'viewer'],
  ['GET', '/api/v1/host-apps/ws/ABCDEF0123456/mini-programs', 'viewer'],
  ['PUT', '/api/v1/host-apps/ws/ABCDEF0123456/mini-programs/1234567890123456', 'operator'],
  ['DELETE', '/api/v1/host-apps/ws/ABCDEF0123456/mini-programs/1234567890123456', 'operator'],
  // The open platform, as platform roles see it (organisation members: open-platform.security.test.ts).
  ['GET', '/api/v1/organisations', 'viewer'],
  ['POST', '/api/v1/organisations', 'admin'],
  ['GET', '/api/v1/organisations/org-x', 'viewer'],
  ['PATCH', '/api/v1/organisations/org-x', 'admin'],
  ['GET', '/api/v1/organisations/org-x/members', 'viewer'],
  ['PUT', '/api/v1/organisations/org-x/members/nobody', 'admin'],
  ['DELETE', '/api/v1/organisations/org-x/members/nobody', 'admin'],
  ['GET', '/api/v1/organisations/org-x/release-keys', 'viewer'],
  ['POST', '/api/v1/organisations/org-x/release-keys', 'admin'],
  ['DELETE', `/api/v1/organisations/org-x/release-keys/${'0'.repeat(64)}`, 'admin'],
  ['POST', '/api/v1/mini-programs/1234567890123456/associations', 'operator'],
  ['GET', '/api/v1/associations', 'viewer'],
  ['POST', '/api/v1/associations/none/approve', 'operator'],
  ['POST', '/api/v1/associations/none/reject', 'operator'],
  ['POST', '/api/v1/associations/none/revoke', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages/1.0.0.0/submit', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages/1.0.0.0/withdraw', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages/1.0.0.0/approve', 'operator'],
  ['POST', '/api/v1/mini-programs/1234567890123456/packages/1.0.0.0/reject', 'operator'],
  ['GET', '/api/v1/reviews', 'viewer'],
  ['GET', '/api/v1/webhooks', 'admin'],
  ['POST', '/api/v1/webhooks', 'admin'],
  ['DELETE', '/api/v1/webhooks/none', 'admin'],
  ['GET', '/api/v1/webhooks/none/deliveries', 'admin'],
];

/** Routes anyone may call: what the sign-in page needs before anyone is signed in. */
const PUBLIC: [string, string][] = [
  ['GET', '/api/v1/session/options'],
  ['GET', '/api/v1/session/oidc/start'],
  ['GET', '/api/v1/session/oidc/callback'],
];

describe('role matrix: every admin route is authenticated and role-checked', () => {
  let t: TestApp;
  const clients = {} as Record<Role | 'anonymous', Client>;
  beforeAll(async () => {
    t = await startApp('sqlite');
    const admin = await Client.signIn(t.app);
    clients.admin = admin;
    clients.operator = await userWithRole(admin, 'operator');
    clients.viewer = await userWithRole(admin, 'viewer');
    clients.anonymous = new Client(t.app);
  });
  afterAll(() => t.destroy());

  it('covers every /api/v1 route the server registers', () => {
    const registered = new Set<string>();
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [p, methods] of Object.entries(doc.paths)) {
      // The session routes are covered by auth.test.ts (signing out here would end the clients' sessions).
      if (!p.startsWith('/api/v1/') || p === '/api/v1/session') continue;
      for (const m of Object.keys(methods)) registered.add(`${m.toUpperCase()} ${p}`);
    }
    const covered = new Set(
      [...ROUTES, ...PUBLIC].map(
        ([m, url]) =>
          `${m} ${url
            .replace(/ABCDEF0123456/g, '{appId}')
            .replace('/ws/', '/{workspaceId}/')
            .replace(/1234567890123456/g, '{id}')
            .replace('/nobody', '/{username}')
            .replace(/\/associations\/none/, '/associations/{associationId}')
            .replace('/organisations/org-x', '/organisations/{orgId}')
            .replace('/releases/none', '/releases/{releaseId}')
            .replace(/\/release-keys\/0{64}/, '/release-keys/{fingerprint}')
            .replace('/none', '/{id}')
            .replace('/1.0.0.0/', '/{version}/')
            .replace(/\/previous-keys\/a{64}\//, '/previous-keys/{fingerprint}/')}`,
      ),
    );
    for (const r of registered) expect(covered, `no role-matrix row for ${r}`).toContain(r);
  });

  for (const [method, url] of PUBLIC) {
    it(`${method} ${url} is public`, async () => {
      const res = await clients.anonymous.request({ method: method as 'GET', url });
      expect([401, 403]).not.toContain(res.statusCode);
    });
  }

  for (const [method, url, need] of ROUTES) {
    it(`${method} ${url} needs ${need}`, async () => {
      const anon = await clients.anonymous.request({
        method: method as 'GET',
        url,
        payload: method === 'GET' || method === 'DELETE' ? undefined : {},
      });
      expect(anon.statusCode).toBe(401);
      for (const role of ['viewer', 'operator', 'admin'] as Role[]) {
        const res = await clients[role].request({
          method: method as 'GET',
          url,
          payload: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        if (RANK[role] < RANK[need]) {
          expect(res.statusCode, `${role} → ${res.body}`).toBe(403);
          expect(res.json().code).toBe('FORBIDDEN');
        } else {
          expect([401, 403], `${role} → ${res.statusCode} ${res.body}`).not.toContain(res.statusCode);
        }
      }
    });
  }
});
