import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { AssociationState, OrgRole, ReviewState, Role } from '@mpop/contracts';

/** The one database interface. Columns are snake_case in SQL; the CamelCasePlugin maps them to these names. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  apiTokens: ApiTokensTable;
  hostApps: HostAppsTable;
  devConfigs: DevConfigsTable;
  auditEvents: AuditEventsTable;
  miniPrograms: MiniProgramsTable;
  miniProgramPackages: MiniProgramPackagesTable;
  hostAppMiniPrograms: HostAppMiniProgramsTable;
  packageSignatures: PackageSignaturesTable;
  bindingSignatures: BindingSignaturesTable;
  signingFailures: SigningFailuresTable;
  signingPending: SigningPendingTable;
  releases: ReleasesTable;
  releaseDevices: ReleaseDevicesTable;
  hostAppPreviousKeys: HostAppPreviousKeysTable;
  deviceVersions: DeviceVersionsTable;
  eventCounts: EventCountsTable;
  failureCounts: FailureCountsTable;
  autopilotDevices: AutopilotDevicesTable;
  meta: MetaTable;
  generationCounter: GenerationCounterTable;
  organisations: OrganisationsTable;
  memberships: MembershipsTable;
  associations: AssociationsTable;
  reviews: ReviewsTable;
  webhooks: WebhooksTable;
  webhookDeliveries: WebhookDeliveriesTable;
  releaseKeys: ReleaseKeysTable;
  packagePatches: PackagePatchesTable;
}

/** A platform role as stored: `none` is a member-only user (the column is NOT NULL; repositories map it to null). */
export type StoredRole = Role | 'none';

export interface UsersTable {
  username: string;
  passwordHash: string;
  role: StoredRole;
  createdAt: string;
  /** The OpenID Connect issuer and subject of a user created by single sign-on; null for local users. */
  ssoIssuer: string | null;
  ssoSubject: string | null;
  /** When an admin disabled the user; null while enabled. */
  disabledAt: string | null;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  idHash: string;
  username: string;
  createdAt: string;
  expiresAt: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: StoredRole;
  tokenHash: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** null: the token never expires. */
  expiresAt: string | null;
}

export interface HostAppsTable {
  /** Internal surrogate key; also gives "newest first" a total order. */
  id: Generated<number>;
  appId: string;
  workspaceId: string;
  tenantId: string;
  name: string;
  /** NFC-normalised, lower-cased name: the key of per-workspace uniqueness and of the search. */
  nameKey: string;
  source: 'manual' | 'mpaas';
  createdAt: string;
  updatedAt: string;
  /** When the host app was disabled (the client API refuses it); null while enabled. */
  disabledAt: string | null;
  /**
   * The generation of its gate answers: the installation's generation counter at the latest change that could
   * change them (never goes down).
   */
  generation: Generated<number>;
}

/** The one row (id 1) of the installation's generation counter: raised by every change that can change a gate answer. */
export interface GenerationCounterTable {
  id: number;
  value: number;
}

export interface DevConfigsTable {
  hostAppId: number;
  virtualDomain: string;
  keyFileName: string;
  keyBits: number;
  keyFormat: 'pkcs1' | 'pkcs8';
  keyFingerprint: string;
  publicKeyPem: string;
  /** PKCS#8 PEM sealed with the master key (see SecretBox); never in clear. */
  privateKeySealed: string;
  keyUploadedAt: string;
  updatedAt: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  /** JSON text; never holds a secret. */
  details: string | null;
  /** The client's address (MPOP_TRUST_PROXY honoured); null from the command line and before 0012. May be left out. */
  address: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MiniProgramsTable {
  miniProgramId: string;
  name: string;
  /** The organisation it belongs to (`platform` for those made before organisations). */
  orgId: Generated<string>;
  /** The version of the current release; null before the first release and after a take-down. */
  releasedVersion: string | null;
  /** The newest release (rolling out, complete or taken down); it decides what host apps get. */
  currentReleaseId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MiniProgramPackagesTable {
  miniProgramId: string;
  version: string;
  sha256: string;
  size: number;
  mainUrl: string;
  platform: string | null;
  clientVersionMin: string | null;
  clientVersionMax: string | null;
  createdAt: string;
  /** Base64 signature by the organisation's release key, checked at upload; null when uploaded without one. */
  releaseSignature: Generated<string | null>;
  /** The fingerprint of the release key `releaseSignature` was verified with. */
  releaseKeyFingerprint: Generated<string | null>;
}

export interface HostAppMiniProgramsTable {
  hostAppId: number;
  miniProgramId: string;
  createdAt: string;
}

/** Signatures are made when something changes, never on the client API's hot path. */
export interface PackageSignaturesTable {
  keyFingerprint: string;
  sha256: string;
  signature: string;
  createdAt: string;
}

/** Facts about the installation itself, by name (the master key's check value). */
export interface MetaTable {
  name: string;
  value: string;
  updatedAt: string;
}

/**
 * Signature over `mpop-binding-v1\n<workspaceId>\n<appId>\n<miniProgramId>\n<version>\n<sha256>` with the host
 * app's key: binds a package to one host app, mini program and version.
 */
export interface BindingSignaturesTable {
  hostAppId: number;
  miniProgramId: string;
  version: string;
  keyFingerprint: string;
  sha256: string;
  signature: string;
  createdAt: string;
}

/** The last failure to sign a package with a key; removed when a later attempt succeeds. */
export interface SigningFailuresTable {
  keyFingerprint: string;
  sha256: string;
  /** A sentence an operator can act on; never key material. */
  reason: string;
  failedAt: string;
}

/** A signing job not finished yet (its scope), resumed by the next start; see migration 0017. */
export interface SigningPendingTable {
  id: string;
  hostAppId: number | null;
  miniProgramId: string | null;
  failedAt: string | null;
  createdAt: string;
}

export type ReleaseState = 'rolling-out' | 'paused' | 'complete' | 'rolled-back' | 'superseded' | 'taken-down';

/** One release of a mini program version; the newest one of a mini program is its current release. */
export interface ReleasesTable {
  /** Internal surrogate key: the order of the history. */
  id: Generated<number>;
  releaseId: string;
  miniProgramId: string;
  version: string;
  previousVersion: string | null;
  /** As stored; a rolling-out release whose steps reached 100 % is complete (see rollout.ts). */
  state: ReleaseState;
  /** The percent set at release, raise or pause, times 100 (0..10000). */
  percentBp: number;
  /** JSON `[{ percent, at }]`, sorted by `at`. */
  steps: string;
  pausedAt: string | null;
  deviceCount: number;
  /** JSON `[{ workspaceId, appId }]`; null = every authorised host app. */
  hostApps: string | null;
  /** 0 or 1 (one integer type on both dialects). */
  mandatory: number;
  note: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** JSON of the autopilot (releases/autopilot.ts StoredAutopilot); null: steered by hand. */
  autopilot: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Up to when the scheduled steps have raised the generation of the release's host apps (releases/scheduled-steps
   * .service.ts); every release operation sets it to its own moment. Null: never (a release made before 0018).
   */
  stepsAppliedAt: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The device whitelist of a release: these devices get its version whatever the percent. */
export interface ReleaseDevicesTable {
  releaseId: string;
  deviceId: string;
}

export type ReleaseRow = Selectable<ReleasesTable>;
export type NewReleaseRow = Insertable<ReleasesTable>;

/** A replaced key's public half: listed in the config file for PREVIOUS_KEY_LISTED_DAYS after `retiredAt`. */
export interface HostAppPreviousKeysTable {
  hostAppId: number;
  keyFingerprint: string;
  publicKeyPem: string;
  retiredAt: string;
  /** When an operator retired the key at once ("retire now"): manifests name it as revoked. Null otherwise. */
  revokedAt: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The latest version each device reported, per host app and mini program: one row per device, not per event. */
export interface DeviceVersionsTable {
  hostAppId: number;
  miniProgramId: string;
  deviceId: string;
  version: string;
  reportedAt: string;
}

/** Daily event counters; `day` is the UTC date (YYYY-MM-DD) the event happened on. */
export interface EventCountsTable {
  miniProgramId: string;
  day: string;
  hostAppId: number;
  version: string;
  type: 'download' | 'verified' | 'launch' | 'failure';
  count: number;
  /** Download events rebuilt from a patch. */
  patched: number;
  /** Bytes those downloads did not transfer. */
  bytesSaved: number;
}

/** Daily failure counters by version and reason (`''`: none given). */
export interface FailureCountsTable {
  miniProgramId: string;
  day: string;
  hostAppId: number;
  version: string;
  reason: string;
  count: number;
}

/** Per autopilot release, the devices it served that reported a launch or a failure of its version, and when last. */
export interface AutopilotDevicesTable {
  releaseId: string;
  hostAppId: number;
  deviceId: string;
  launchedAt: string | null;
  failedAt: string | null;
}

export type HostAppRow = Selectable<HostAppsTable>;
export type NewHostAppRow = Insertable<HostAppsTable>;
export type DevConfigRow = Selectable<DevConfigsTable>;

/** An organisation of the open platform; `platform` is built in. */
export interface OrganisationsTable {
  orgId: string;
  name: string;
  /** NFC-normalised, lower-cased name: organisation names are unique whatever their case. */
  nameKey: string;
  /** 0 or 1. */
  reviewRequired: number;
  suspendedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MembershipsTable {
  orgId: string;
  username: string;
  role: OrgRole;
  createdAt: string;
}

/** A mini program's request to reach a host app; at most one pending or approved per pair (a partial unique index). */
export interface AssociationsTable {
  /** Internal surrogate key: the order of the list. */
  id: Generated<number>;
  associationId: string;
  miniProgramId: string;
  workspaceId: string;
  appId: string;
  state: AssociationState;
  note: string | null;
  reason: string | null;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

/** The review of one package version; at most one `in-review` per mini program (a partial unique index). */
export interface ReviewsTable {
  miniProgramId: string;
  version: string;
  state: ReviewState;
  /** JSON `Check[]`, made at upload. */
  checks: string;
  /** JSON `Changes`: since the version released last when it was uploaded. */
  changes: string;
  /** JSON `PackageManifest` (entries with CRC and size, permissions, domains); null for versions uploaded before reviews. */
  manifest: string | null;
  submittedBy: string | null;
  submittedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
  reason: string | null;
  updatedAt: string;
}
export type ReviewRow = Selectable<ReviewsTable>;
export type AssociationRow = Selectable<AssociationsTable>;
export type OrganisationRow = Selectable<OrganisationsTable>;
export interface WebhooksTable {
  webhookId: string;
  url: string;
  /** The subscribed event types, a JSON array of strings. */
  events: string;
  description: string | null;
  /** The signing secret (`whsec_…`), sealed with the master key (bound to the webhook ID). */
  secretSealed: string;
  createdAt: string;
  createdBy: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhookId: string;
  /** The `webhook-id` header: one per event, the same for every attempt. */
  messageId: string;
  eventType: string;
  /** The exact body POSTed: `{ type, timestamp, data }` as JSON. */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt is due (or, while an attempt runs, when its lease ends); null once finished. */
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

/** A public key an organisation signs its packages with (the private half never reaches the platform). */
export interface ReleaseKeysTable {
  orgId: string;
  /** Hex SHA-256 of the SPKI DER. */
  fingerprintSha256: string;
  algorithm: 'Ed25519' | 'RSA';
  bits: number;
  /** SPKI PEM, normalised. */
  publicKeyPem: string;
  createdAt: string;
  createdBy: string;
}

/** A patch between two package versions of a mini program: queued by a release, made in the background. */
export interface PackagePatchesTable {
  id: Generated<number>;
  miniProgramId: string;
  fromVersion: string;
  toVersion: string;
  fromSha256: string;
  toSha256: string;
  format: 'mpop-patch-v1';
  status: 'queued' | 'running' | 'done' | 'skipped' | 'failed';
  fullSize: number | null;
  size: number | null;
  sha256: string | null;
  noteCode: 'too-large' | 'not-smaller' | 'missing' | 'altered' | 'failed' | null;
  note: string | null;
  attempts: number;
  leaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}
export type PackagePatchRow = Selectable<PackagePatchesTable>;
