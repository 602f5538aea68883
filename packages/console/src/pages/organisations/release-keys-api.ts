import type { ReleaseKey } from '@mpop/contracts';
import { request } from '../../api/client';

const keysPath = (orgId: string) => `/api/v1/organisations/${encodeURIComponent(orgId)}/release-keys`;

/** An organisation's release keys (public halves), oldest first. */
export const listReleaseKeys = (orgId: string, signal?: AbortSignal) =>
  request<{ items: ReleaseKey[] }>('GET', keysPath(orgId), undefined, { signal });
/** Registers a public key PEM (owners and admins). */
export const addReleaseKey = (orgId: string, pem: string) => request<ReleaseKey>('POST', keysPath(orgId), { pem });
/** Removes a key by its fingerprint (owners and admins). */
export const removeReleaseKey = (orgId: string, fingerprint: string) =>
  request<void>('DELETE', `${keysPath(orgId)}/${encodeURIComponent(fingerprint)}`);

/** The first and last characters of a fingerprint, for messages (the full one is shown in the list). */
export const shortFingerprint = (fp: string) => `${fp.slice(0, 12)}…${fp.slice(-6)}`;
