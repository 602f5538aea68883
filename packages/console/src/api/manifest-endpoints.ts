import type { ManifestInfo } from '@mpop/contracts';
import { request } from './client';

/**
 * The endpoints of a host app's signed answers, apart from endpoints.ts so that they load with the Basic Information
 * dialog that uses them (the initial bundle has a budget).
 */
const base = (workspaceId: string, appId: string) => `/api/v1/host-apps/${encodeURIComponent(workspaceId)}/${encodeURIComponent(appId)}`;

export const manifestApi = {
  info: (workspaceId: string, appId: string, signal?: AbortSignal) =>
    request<ManifestInfo>('GET', `${base(workspaceId, appId)}/manifest`, undefined, { signal }),
  retireKey: (workspaceId: string, appId: string, fingerprint: string) =>
    request<ManifestInfo>('POST', `${base(workspaceId, appId)}/previous-keys/${encodeURIComponent(fingerprint)}/retire`),
};
