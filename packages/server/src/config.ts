import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything the server reads from its environment, validated once at start (API.md §1). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** base64 of 32 bytes; when absent the key is generated once into `<dataDir>/master.key`. */
  masterKey?: string;
  adminUsername?: string;
  adminPassword?: string;
  publicUrl: string;
  mpaas?: { endpoint: string; accessKeyId: string; accessKeySecret: string; region?: string };
  mpaasDirectoryFile?: string;
  /** Upper bound of one mini program package upload. */
  maxPackageBytes: number;
  sessionTtlMs: number;
  /** Where the built console lives; not served when the folder has no index.html. */
  consoleDir: string;
  logLevel: string;
  /** Client API rate limit: requests per minute per host app and per address. */
  clientRateLimitPerMinute: number;
  /** Upstream timeout of mPaaS OpenAPI calls. */
  mpaasTimeoutMs: number;
  /**
   * Whom to believe about the client address (X-Forwarded-For), for throttling and rate limits behind a load
   * balancer: false (default), true, a hop count, or a comma-separated list of proxy addresses/CIDRs.
   */
  trustProxy: boolean | number | string[];
  /** How long adoption data (latest version per device, daily event counters) is kept. */
  eventsRetentionDays: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_CONSOLE_DIR = path.resolve(here, '../../console/dist');

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; it is "${raw}".`);
  }
  return n;
}

function url(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL such as http://localhost:8080; it is "${raw}".`);
  }
}

function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads and validates the configuration; throws a ConfigError whose message says what to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const dataDir = path.resolve(env.MPOP_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || `sqlite:${path.join(dataDir, 'mpop.db')}`;
  if (!/^sqlite:.+/.test(databaseUrl) && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be sqlite:<path> or postgres://user@host:port/db.');
  }
  if (env.MPOP_MASTER_KEY !== undefined && Buffer.from(env.MPOP_MASTER_KEY, 'base64').length !== 32) {
    throw new ConfigError('MPOP_MASTER_KEY must be the base64 of exactly 32 bytes (make one with: openssl rand -base64 32).');
  }
  const adminUsername = env.MPOP_ADMIN_USERNAME || undefined;
  const adminPassword = env.MPOP_ADMIN_PASSWORD || undefined;
  if (Boolean(adminUsername) !== Boolean(adminPassword)) {
    throw new ConfigError('Set both MPOP_ADMIN_USERNAME and MPOP_ADMIN_PASSWORD, or neither.');
  }
  if (adminPassword && adminPassword.length < 12) {
    throw new ConfigError('MPOP_ADMIN_PASSWORD must be at least 12 characters.');
  }
  const publicUrl = (env.MPOP_PUBLIC_URL || `http://localhost:${port || 8080}`).replace(/\/+$/, '');
  const parsedPublic = url('MPOP_PUBLIC_URL', publicUrl);
  if (!/^https?:$/.test(parsedPublic.protocol)) throw new ConfigError('MPOP_PUBLIC_URL must start with http:// or https://.');

  const mpaasVars = ['MPAAS_ENDPOINT', 'MPAAS_ACCESS_KEY_ID', 'MPAAS_ACCESS_KEY_SECRET'] as const;
  const setMpaas = mpaasVars.filter((v) => env[v]);
  if (setMpaas.length > 0 && setMpaas.length < mpaasVars.length) {
    const missing = mpaasVars.filter((v) => !env[v]);
    throw new ConfigError(`The mPaaS backend is half configured: also set ${missing.join(', ')}.`);
  }
  const mpaas =
    setMpaas.length === mpaasVars.length
      ? {
          endpoint: env.MPAAS_ENDPOINT!,
          accessKeyId: env.MPAAS_ACCESS_KEY_ID!,
          accessKeySecret: env.MPAAS_ACCESS_KEY_SECRET!,
          region: env.MPAAS_REGION || undefined,
        }
      : undefined;
  if (mpaas) {
    const candidate = /^https?:\/\//.test(mpaas.endpoint) ? mpaas.endpoint : `https://${mpaas.endpoint}`;
    url('MPAAS_ENDPOINT', candidate);
  }

  return {
    port,
    host,
    dataDir,
    databaseUrl,
    masterKey: env.MPOP_MASTER_KEY || undefined,
    adminUsername,
    adminPassword,
    publicUrl,
    mpaas,
    mpaasDirectoryFile: env.MPAAS_DIRECTORY_FILE ? path.resolve(env.MPAAS_DIRECTORY_FILE) : undefined,
    maxPackageBytes: int(env, 'MPOP_MAX_PACKAGE_BYTES', 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    sessionTtlMs: int(env, 'MPOP_SESSION_TTL_HOURS', 12, 1, 24 * 30) * 3600_000,
    consoleDir: env.MPOP_CONSOLE_DIR ? path.resolve(env.MPOP_CONSOLE_DIR) : DEFAULT_CONSOLE_DIR,
    logLevel: env.LOG_LEVEL || 'info',
    clientRateLimitPerMinute: int(env, 'MPOP_CLIENT_RATE_LIMIT', 600, 1, 1_000_000),
    mpaasTimeoutMs: int(env, 'MPAAS_TIMEOUT_MS', 10_000, 100, 10_000),
    trustProxy: parseTrustProxy(env.MPOP_TRUST_PROXY),
    eventsRetentionDays: int(env, 'MPOP_EVENTS_RETENTION_DAYS', 30, 1, 3650),
  };
}
