import type {
  AuditEvent,
  CreatedWebhook,
  CreateWebhookBody,
  Webhook,
  WebhookDelivery,
  AuditFilter,
  AuthorizedMiniProgram,
  ChangePasswordBody,
  CreatedToken,
  CreateHostAppBody,
  CreateTokenBody,
  CreateUserBody,
  DevConfig,
  HostApp,
  HostAppList,
  HostAppListQuery,
  MiniProgram,
  MpaasAppList,
  MpaasWorkspaceList,
  Package,
  PageOf,
  Session,
  SessionOptions,
  SignInBody,
  SigningJob,
  SigningJobList,
  SyncHostAppBody,
  Token,
  UpdateHostAppBody,
  UpdateUserBody,
  User,
} from '@mpop/contracts';
import { request } from './client';
import type { Association, AssociationState, Member, OrgRole, Organisation, Review, ReviewItem, ReviewState } from '@mpop/contracts';

export type { SigningJob };

/** One typed function per endpoint; shapes come from @mpop/contracts, never copied by hand. Reads take a signal. */
const hostAppPath = (workspaceId: string, appId: string) =>
  `/api/v1/host-apps/${encodeURIComponent(workspaceId)}/${encodeURIComponent(appId)}`;

/** `?a=1&b=x`, leaving out empty values. */
export function queryString(q: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

const orgPath = (orgId: string) => `/api/v1/organisations/${encodeURIComponent(orgId)}`;
const packagePath = (id: string, version: string) =>
  `/api/v1/mini-programs/${encodeURIComponent(id)}/packages/${encodeURIComponent(version)}`;

const get = <T>(url: string, signal?: AbortSignal) => request<T>('GET', url, undefined, { signal });

export const api = {
  signIn: (body: SignInBody) => request<Session>('POST', '/api/v1/session', body),
  sessionOptions: (signal?: AbortSignal) => get<SessionOptions>('/api/v1/session/options', signal),
  /** Where "Sign in with SSO" sends the browser (a navigation, not a fetch: the provider's pages follow). */
  ssoStartUrl: (next: string) => `/api/v1/session/oidc/start?next=${encodeURIComponent(next)}`,
  session: (signal?: AbortSignal) => get<Session>('/api/v1/session', signal),
  signOut: () => request<void>('DELETE', '/api/v1/session'),
  changePassword: (body: ChangePasswordBody) => request<void>('PUT', '/api/v1/session/password', body),

  listHostApps: (q: HostAppListQuery, signal?: AbortSignal) => get<HostAppList>(`/api/v1/host-apps${queryString(q)}`, signal),
  createHostApp: (body: CreateHostAppBody) => request<HostApp>('POST', '/api/v1/host-apps', body),
  getHostApp: (workspaceId: string, appId: string, signal?: AbortSignal) => get<HostApp>(hostAppPath(workspaceId, appId), signal),
  deleteHostApp: (workspaceId: string, appId: string) => request<void>('DELETE', hostAppPath(workspaceId, appId)),
  updateHostApp: (workspaceId: string, appId: string, body: UpdateHostAppBody) =>
    request<HostApp>('PATCH', hostAppPath(workspaceId, appId), body),
  getDevConfig: (workspaceId: string, appId: string, signal?: AbortSignal) =>
    get<DevConfig>(`${hostAppPath(workspaceId, appId)}/dev-config`, signal),
  setDevConfig: (workspaceId: string, appId: string, virtualDomain: string, keyFile?: File) => {
    const form = new FormData();
    form.append('virtualDomain', virtualDomain);
    if (keyFile) form.append('privateKey', keyFile, keyFile.name);
    return request<DevConfig>('PUT', `${hostAppPath(workspaceId, appId)}/dev-config`, form);
  },
  publicKeyUrl: (workspaceId: string, appId: string) => `${hostAppPath(workspaceId, appId)}/dev-config/public-key`,

  mpaasApps: (signal?: AbortSignal) => get<MpaasAppList>('/api/v1/mpaas/apps', signal),
  mpaasWorkspaces: (signal?: AbortSignal) => get<MpaasWorkspaceList>('/api/v1/mpaas/workspaces', signal),
  syncHostApp: (body: SyncHostAppBody) => request<HostApp>('POST', '/api/v1/host-apps/sync', body),

  listMiniPrograms: (signal?: AbortSignal, q: { query?: string } = {}) =>
    get<{ items: MiniProgram[]; total: number }>(`/api/v1/mini-programs${queryString(q)}`, signal),
  /** `orgId` left out: `platform` for admins and operators, the only organisation of a member of one. */
  createMiniProgram: (body: { name: string; miniProgramId?: string; orgId?: string }) =>
    request<MiniProgram>('POST', '/api/v1/mini-programs', body),
  listPackages: (id: string, signal?: AbortSignal) => get<{ items: Package[] }>(`/api/v1/mini-programs/${id}/packages`, signal),
  authorizedMiniPrograms: (workspaceId: string, appId: string, signal?: AbortSignal) =>
    get<{ items: AuthorizedMiniProgram[] }>(`${hostAppPath(workspaceId, appId)}/mini-programs`, signal),
  authorize: (workspaceId: string, appId: string, id: string) =>
    request<unknown>('PUT', `${hostAppPath(workspaceId, appId)}/mini-programs/${id}`),
  revoke: (workspaceId: string, appId: string, id: string) =>
    request<void>('DELETE', `${hostAppPath(workspaceId, appId)}/mini-programs/${id}`),

  signingJobs: (signal?: AbortSignal) => get<SigningJobList>('/api/v1/signing-jobs', signal),
  retrySigning: () => request<SigningJob>('POST', '/api/v1/signing-jobs/retry'),

  listUsers: (signal?: AbortSignal) => get<{ items: User[] }>('/api/v1/users', signal),
  createUser: (body: CreateUserBody) => request<User>('POST', '/api/v1/users', body),
  updateUser: (username: string, body: UpdateUserBody) => request<User>('PATCH', `/api/v1/users/${encodeURIComponent(username)}`, body),
  deleteUser: (username: string) => request<void>('DELETE', `/api/v1/users/${encodeURIComponent(username)}`),

  listTokens: (signal?: AbortSignal) => get<{ items: Token[] }>('/api/v1/tokens', signal),
  createToken: (body: CreateTokenBody) => request<CreatedToken>('POST', '/api/v1/tokens', body),
  revokeToken: (id: string) => request<void>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),

  listWebhooks: (signal?: AbortSignal) => get<{ items: Webhook[] }>('/api/v1/webhooks', signal),
  createWebhook: (body: CreateWebhookBody) => request<CreatedWebhook>('POST', '/api/v1/webhooks', body),
  deleteWebhook: (id: string) => request<void>('DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`),
  webhookDeliveries: (id: string, signal?: AbortSignal) =>
    get<{ items: WebhookDelivery[] }>(`/api/v1/webhooks/${encodeURIComponent(id)}/deliveries`, signal),

  auditEvents: (q: AuditFilter & { page: number; pageSize: number }, signal?: AbortSignal) =>
    get<PageOf<AuditEvent>>(`/api/v1/audit-events${queryString(q)}`, signal),
  /** The CSV export of the same filter, as a link the browser downloads. */
  auditCsvUrl: (q: AuditFilter) => `/api/v1/audit-events.csv${queryString(q)}`,

  // The open platform: organisations, association requests, review.
  listOrganisations: (signal?: AbortSignal) => get<{ items: Organisation[] }>('/api/v1/organisations', signal),
  createOrganisation: (body: { name: string; owner?: string }) => request<Organisation>('POST', '/api/v1/organisations', body),
  updateOrganisation: (orgId: string, body: { name?: string; reviewRequired?: boolean; suspended?: boolean }) =>
    request<Organisation>('PATCH', orgPath(orgId), body),
  listMembers: (orgId: string, signal?: AbortSignal) => get<{ items: Member[] }>(`${orgPath(orgId)}/members`, signal),
  setMember: (orgId: string, username: string, role: OrgRole) =>
    request<Member>('PUT', `${orgPath(orgId)}/members/${encodeURIComponent(username)}`, { role }),
  removeMember: (orgId: string, username: string) => request<void>('DELETE', `${orgPath(orgId)}/members/${encodeURIComponent(username)}`),

  requestAssociation: (miniProgramId: string, body: { workspaceId: string; appId: string; note?: string }) =>
    request<Association>('POST', `/api/v1/mini-programs/${encodeURIComponent(miniProgramId)}/associations`, body),
  listAssociations: (
    q: { state?: AssociationState; miniProgramId?: string; workspaceId?: string; appId?: string; page: number; pageSize: number },
    signal?: AbortSignal,
  ) => get<PageOf<Association>>(`/api/v1/associations${queryString(q)}`, signal),
  approveAssociation: (id: string) => request<Association>('POST', `/api/v1/associations/${encodeURIComponent(id)}/approve`),
  rejectAssociation: (id: string, reason: string) =>
    request<Association>('POST', `/api/v1/associations/${encodeURIComponent(id)}/reject`, { reason }),
  revokeAssociation: (id: string) => request<Association>('POST', `/api/v1/associations/${encodeURIComponent(id)}/revoke`),

  listReviews: (q: { state?: ReviewState; page: number; pageSize: number }, signal?: AbortSignal) =>
    get<PageOf<ReviewItem>>(`/api/v1/reviews${queryString(q)}`, signal),
  submitReview: (id: string, version: string, note?: string) =>
    request<Review>('POST', `${packagePath(id, version)}/submit`, note ? { note } : {}),
  withdrawReview: (id: string, version: string) => request<Review>('POST', `${packagePath(id, version)}/withdraw`),
  approveReview: (id: string, version: string, note?: string) =>
    request<Review>('POST', `${packagePath(id, version)}/approve`, note ? { note } : {}),
  rejectReview: (id: string, version: string, reason: string) => request<Review>('POST', `${packagePath(id, version)}/reject`, { reason }),
};
