import { MANIFEST_TYPE, type ManifestEntry, type Resource } from '@mpop/contracts';

/**
 * The canonical text of a manifest (contracts' ManifestSchema, in its key order): what the host app's key signs and
 * clients parse. It is joined from parts made once per view (the head, each resource's entry), so an answer costs no
 * serialization; `JSON.parse` then `JSON.stringify` of the text gives the text back (a test holds it to that).
 */

/** A resource's manifest entry as JSON, in the contract's key order. */
export function manifestEntryJson(r: Resource): string {
  const entry: ManifestEntry = {
    miniProgramId: r.miniProgramId,
    version: r.version,
    sha256: r.sha256,
    size: r.size,
    mandatory: r.mandatory,
    packageUrl: r.packageUrl,
    mainUrl: r.mainUrl,
    vhost: r.vhost,
  };
  return JSON.stringify(entry);
}

/** What a manifest says, but its times: two answers with the same content share one signature. */
export interface ManifestContent {
  /** The cache key: the signing key's fingerprint and every byte of the content. */
  key: string;
  /** The host app's generation, as in the head (a newer one retires the manifests kept of older ones). */
  generation: number;
  /** `{"type":…,"appId":…,"workspaceId":…,"generation":…,` */
  head: string;
  /** `"resources":[…],"revokedKeys":[…]}` */
  body: string;
}

/** The head of every manifest of one host app at one generation. */
export const manifestHead = (h: { appId: string; workspaceId: string; generation: number }) =>
  `{"type":${JSON.stringify(MANIFEST_TYPE)},"appId":${JSON.stringify(h.appId)},"workspaceId":${JSON.stringify(h.workspaceId)},"generation":${h.generation},`;

/** The content of a manifest naming these entries (JSON of each, in the answer's order). */
export function manifestContent(
  keyFingerprint: string,
  head: string,
  entries: readonly string[],
  revokedKeysJson: string,
  generation: number,
): ManifestContent {
  const body = `"resources":[${entries.join(',')}],"revokedKeys":${revokedKeysJson}}`;
  return { key: `${keyFingerprint}\n${head}${body}`, generation, head, body };
}

/** The manifest's text, issued at `issuedAt` (epoch ms) and valid for `ttlMs`. */
export const manifestText = (c: ManifestContent, issuedAt: number, ttlMs: number) =>
  `${c.head}"issuedAt":"${new Date(issuedAt).toISOString()}","expiresAt":"${new Date(issuedAt + ttlMs).toISOString()}",${c.body}`;
