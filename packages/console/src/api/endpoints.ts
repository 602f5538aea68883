import type {
  CreateHostAppBody,
  DevConfig,
  HostApp,
  HostAppList,
  HostAppListQuery,
  MpaasAppList,
  MpaasWorkspaceList,
  Session,
  SessionOptions,
  SignInBody,
  SyncHostAppBody,
  UpdateHostAppBody,
  MiniProgram,
  Package,
  AuthorizedMiniProgram,
} from '@mpop/contracts';
import { request } from './client';

/** Progress of signing a release or authorisation for host apps (GET /api/v1/signing-jobs). */
export interface SigningJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  error: string | null;
}

/** One typed function per endpoint; shapes come from @mpop/contracts, never copied by hand. */
const hostAppPath = (workspaceId: string, appId: string) =>
  `/api/v1/host-apps/${encodeURIComponent(workspaceId)}/${encodeURIComponent(appId)}`;

export const api = {
  signIn: (body: SignInBody) => request<Session>('POST', '/api/v1/session', body),
  sessionOptions: () => request<SessionOptions>('GET', '/api/v1/session/options'),
  /** Where "Sign in with SSO" sends the browser (a navigation, not a fetch: the provider's pages follow). */
  ssoStartUrl: (next: string) => `/api/v1/session/oidc/start?next=${encodeURIComponent(next)}`,
  session: () => request<Session>('GET', '/api/v1/session'),
  signOut: () => request<void>('DELETE', '/api/v1/session'),

  listHostApps: (q: HostAppListQuery) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
    return request<HostAppList>('GET', `/api/v1/host-apps?${params}`);
  },
  createHostApp: (body: CreateHostAppBody) => request<HostApp>('POST', '/api/v1/host-apps', body),
  getHostApp: (workspaceId: string, appId: string) => request<HostApp>('GET', hostAppPath(workspaceId, appId)),
  deleteHostApp: (workspaceId: string, appId: string) => request<void>('DELETE', hostAppPath(workspaceId, appId)),
  updateHostApp: (workspaceId: string, appId: string, body: UpdateHostAppBody) =>
    request<HostApp>('PATCH', hostAppPath(workspaceId, appId), body),
  getDevConfig: (workspaceId: string, appId: string) => request<DevConfig>('GET', `${hostAppPath(workspaceId, appId)}/dev-config`),
  setDevConfig: (workspaceId: string, appId: string, virtualDomain: string, keyFile?: File) => {
    const form = new FormData();
    form.append('virtualDomain', virtualDomain);
    if (keyFile) form.append('privateKey', keyFile, keyFile.name);
    return request<DevConfig>('PUT', `${hostAppPath(workspaceId, appId)}/dev-config`, form);
  },
  publicKeyUrl: (workspaceId: string, appId: string) => `${hostAppPath(workspaceId, appId)}/dev-config/public-key`,

  mpaasApps: () => request<MpaasAppList>('GET', '/api/v1/mpaas/apps'),
  mpaasWorkspaces: () => request<MpaasWorkspaceList>('GET', '/api/v1/mpaas/workspaces'),
  syncHostApp: (body: SyncHostAppBody) => request<HostApp>('POST', '/api/v1/host-apps/sync', body),

  listMiniPrograms: () => request<{ items: MiniProgram[] }>('GET', '/api/v1/mini-programs'),
  createMiniProgram: (body: { name: string; miniProgramId?: string }) => request<MiniProgram>('POST', '/api/v1/mini-programs', body),
  listPackages: (id: string) => request<{ items: Package[] }>('GET', `/api/v1/mini-programs/${id}/packages`),
  signingJobs: () => request<{ items: SigningJob[] }>('GET', '/api/v1/signing-jobs'),
  authorizedMiniPrograms: (workspaceId: string, appId: string) =>
    request<{ items: AuthorizedMiniProgram[] }>('GET', `${hostAppPath(workspaceId, appId)}/mini-programs`),
  authorize: (workspaceId: string, appId: string, id: string) =>
    request<unknown>('PUT', `${hostAppPath(workspaceId, appId)}/mini-programs/${id}`),
  revoke: (workspaceId: string, appId: string, id: string) =>
    request<void>('DELETE', `${hostAppPath(workspaceId, appId)}/mini-programs/${id}`),
};
