import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startApp, type TestApp, userWithRole } from './helpers/app.js';
import { configuredHostApp, member, organisation, tokenClient, upload } from './helpers/open-platform.js';

type PlatformRole = 'viewer' | 'operator' | 'admin';
/**
 * What an organisation member (with no platform role) may do on a route: `none` (403 like any role too low),
 * `any` (every signed-in user; the answer holds only their organisations' things), `developer` or `owner` of the
 * organisation the route is about (another organisation's member: 404, as if it did not exist).
 */
type MemberAccess = 'none' | 'any' | 'developer' | 'owner';
const RANK: Record<PlatformRole, number> = { viewer: 0, operator: 1, admin: 2 };

/**
 * Every /api/v1 route, as the OpenAPI document names it, with the platform role and the organisation role it needs.
 * A route the server registers without a row here fails the first test: every route makes a membership decision.
 */
const ROUTES: [string, string, PlatformRole | 'public', MemberAccess][] = [
  ['GET', '/api/v1/session/options', 'public', 'any'],
  ['GET', '/api/v1/session/oidc/start', 'public', 'any'],
  ['GET', '/api/v1/session/oidc/callback', 'public', 'any'],
  ['PUT', '/api/v1/session/password', 'viewer', 'any'],
  ['GET', '/api/v1/users', 'admin', 'none'],
  ['POST', '/api/v1/users', 'admin', 'none'],
  ['PATCH', '/api/v1/users/{username}', 'admin', 'none'],
  ['DELETE', '/api/v1/users/{username}', 'admin', 'none'],
  ['GET', '/api/v1/tokens', 'viewer', 'any'],
  ['POST', '/api/v1/tokens', 'viewer', 'any'],
  ['DELETE', '/api/v1/tokens/{id}', 'viewer', 'any'],
  ['GET', '/api/v1/audit-events', 'viewer', 'none'],
  ['GET', '/api/v1/audit-events.csv', 'viewer', 'none'],
  ['GET', '/api/v1/host-apps', 'viewer', 'none'],
  ['POST', '/api/v1/host-apps', 'operator', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}', 'viewer', 'none'],
  ['PATCH', '/api/v1/host-apps/{workspaceId}/{appId}', 'operator', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}/dev-config', 'viewer', 'none'],
  ['PUT', '/api/v1/host-apps/{workspaceId}/{appId}/dev-config', 'operator', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}/dev-config/public-key', 'viewer', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}/config-file', 'viewer', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}/manifest', 'viewer', 'none'],
  ['POST', '/api/v1/host-apps/{workspaceId}/{appId}/previous-keys/{fingerprint}/retire', 'operator', 'none'],
  ['GET', '/api/v1/mpaas/apps', 'viewer', 'none'],
  ['GET', '/api/v1/mpaas/workspaces', 'viewer', 'none'],
  ['POST', '/api/v1/host-apps/sync', 'operator', 'none'],
  ['GET', '/api/v1/host-apps/{workspaceId}/{appId}/mini-programs', 'viewer', 'none'],
  ['PUT', '/api/v1/host-apps/{workspaceId}/{appId}/mini-programs/{id}', 'operator', 'none'],
  ['DELETE', '/api/v1/host-apps/{workspaceId}/{appId}/mini-programs/{id}', 'operator', 'none'],
  ['GET', '/api/v1/signing-jobs', 'viewer', 'none'],
  ['GET', '/api/v1/patch-jobs', 'viewer', 'none'],
  ['POST', '/api/v1/signing-jobs/retry', 'operator', 'none'],
  ['GET', '/api/v1/mini-programs/{id}/adoption', 'viewer', 'none'],
  ['GET', '/api/v1/mini-programs', 'viewer', 'any'],
  ['POST', '/api/v1/mini-programs', 'operator', 'any'],
  ['GET', '/api/v1/mini-programs/{id}/packages', 'viewer', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/packages', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/packages/{version}/submit', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/packages/{version}/withdraw', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/packages/{version}/approve', 'operator', 'none'],
  ['POST', '/api/v1/mini-programs/{id}/packages/{version}/reject', 'operator', 'none'],
  ['POST', '/api/v1/mini-programs/{id}/packages/{version}/release', 'operator', 'developer'],
  ['GET', '/api/v1/mini-programs/{id}/releases', 'viewer', 'developer'],
  ['PATCH', '/api/v1/mini-programs/{id}/releases/{releaseId}', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/rollback', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/take-down', 'operator', 'developer'],
  ['POST', '/api/v1/mini-programs/{id}/associations', 'operator', 'developer'],
  ['GET', '/api/v1/associations', 'viewer', 'any'],
  ['POST', '/api/v1/associations/{associationId}/approve', 'operator', 'none'],
  ['POST', '/api/v1/associations/{associationId}/reject', 'operator', 'none'],
  ['POST', '/api/v1/associations/{associationId}/revoke', 'operator', 'developer'],
  ['GET', '/api/v1/reviews', 'viewer', 'any'],
  ['GET', '/api/v1/organisations', 'viewer', 'any'],
  ['POST', '/api/v1/organisations', 'admin', 'none'],
  ['GET', '/api/v1/organisations/{orgId}', 'viewer', 'developer'],
  ['PATCH', '/api/v1/organisations/{orgId}', 'admin', 'none'],
  ['GET', '/api/v1/organisations/{orgId}/members', 'viewer', 'developer'],
  ['PUT', '/api/v1/organisations/{orgId}/members/{username}', 'admin', 'owner'],
  ['DELETE', '/api/v1/organisations/{orgId}/members/{username}', 'admin', 'owner'],
  ['GET', '/api/v1/organisations/{orgId}/release-keys', 'viewer', 'developer'],
  ['POST', '/api/v1/organisations/{orgId}/release-keys', 'admin', 'owner'],
  ['DELETE', '/api/v1/organisations/{orgId}/release-keys/{fingerprint}', 'admin', 'owner'],
  ['GET', '/api/v1/webhooks', 'admin', 'none'],
  ['POST', '/api/v1/webhooks', 'admin', 'none'],
  ['DELETE', '/api/v1/webhooks/{id}', 'admin', 'none'],
  ['GET', '/api/v1/webhooks/{id}/deliveries', 'admin', 'none'],
  ['DELETE', '/api/v1/host-apps/{workspaceId}/{appId}', 'operator', 'none'],
];

type Who = PlatformRole | 'owner' | 'developer' | 'other-developer' | 'anonymous';

describe('role × membership matrix: every route decides for platform roles and organisation members', () => {
  let t: TestApp;
  const clients = {} as Record<Who, Client>;
  const values: Record<string, string> = {};
  beforeAll(async () => {
    t = await startApp('sqlite');
    const admin = await Client.signIn(t.app);
    clients.admin = admin;
    clients.operator = await userWithRole(admin, 'operator');
    clients.viewer = await userWithRole(admin, 'viewer');
    clients.anonymous = new Client(t.app);
    const { orgId } = await organisation(admin);
    const other = await organisation(admin);
    // Members act through API tokens, as a vendor's CI does (a token carries its creator's memberships, never more).
    clients.owner = await tokenClient(await member(admin, orgId, 'owner'));
    const developer = await member(admin, orgId, 'developer');
    clients.developer = await tokenClient(developer);
    clients['other-developer'] = await tokenClient(await member(admin, other.orgId, 'developer'));
    const id = (await developer.post('/api/v1/mini-programs', { name: 'Matrix', orgId })).json().miniProgramId;
    await upload(developer, id, '1.0.0.0');
    const host = await configuredHostApp(admin, 'matrix');
    const association = (await developer.post(`/api/v1/mini-programs/${id}/associations`, host)).json();
    Object.assign(values, {
      orgId,
      id,
      version: '1.0.0.0',
      associationId: association.associationId,
      username: 'nobody',
      workspaceId: host.workspaceId,
      appId: host.appId,
      releaseId: 'none',
      fingerprint: '0'.repeat(64),
    });
  });
  afterAll(() => t.destroy());

  const urlOf = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => values[name]);

  it('has a row for every /api/v1 route the server registers', () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const covered = new Set(ROUTES.map(([m, url]) => `${m} ${url}`));
    for (const [p, methods] of Object.entries(doc.paths)) {
      // Signing in and out are covered by auth.test.ts (signing out here would end the clients' sessions).
      if (!p.startsWith('/api/v1/') || p === '/api/v1/session') continue;
      for (const m of Object.keys(methods))
        expect(covered, `no membership row for ${m.toUpperCase()} ${p}`).toContain(`${m.toUpperCase()} ${p}`);
    }
  });

  // Callers that are refused come first, so the refusals are checked before allowed callers change anything.
  const ORDER: Who[] = ['anonymous', 'other-developer', 'viewer', 'developer', 'owner', 'operator', 'admin'];

  for (const [method, template, platform, membership] of ROUTES) {
    if (platform === 'public') continue;
    it(`${method} ${template}: ${platform}, members: ${membership}`, async () => {
      for (const who of ORDER) {
        const res = await clients[who].request({
          method: method as 'GET',
          url: urlOf(template),
          payload: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        const why = `${who} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (who === 'anonymous') {
          expect(res.statusCode, why).toBe(401);
          continue;
        }
        const isMember = who === 'owner' || who === 'developer' || who === 'other-developer';
        let allowed: boolean;
        if (!isMember) allowed = RANK[who as PlatformRole] >= RANK[platform];
        else if (membership === 'none') allowed = false;
        else if (membership === 'any') allowed = true;
        else if (who === 'other-developer') {
          // Another organisation's thing is not there for them.
          expect(res.statusCode, why).toBe(404);
          expect(res.json().code).toBe('NOT_FOUND');
          continue;
        } else allowed = membership === 'developer' || who === 'owner';
        if (allowed) expect([401, 403], why).not.toContain(res.statusCode);
        else {
          expect(res.statusCode, why).toBe(403);
          expect(res.json().code, why).toBe('FORBIDDEN');
        }
      }
    });
  }
});
