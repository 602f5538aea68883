import type { Generated, Insertable, Selectable } from 'kysely';
import type { Role } from '@mpop/contracts';

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
}

export interface UsersTable {
  username: string;
  passwordHash: string;
  role: Role;
  createdAt: string;
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
  role: Role;
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
}

export interface MiniProgramsTable {
  miniProgramId: string;
  name: string;
  releasedVersion: string | null;
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

export type HostAppRow = Selectable<HostAppsTable>;
export type NewHostAppRow = Insertable<HostAppsTable>;
export type DevConfigRow = Selectable<DevConfigsTable>;
