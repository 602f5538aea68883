import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, type TSchema, Type } from 'typebox';
import { MANIFEST_TTL_HOURS } from '@mpop/contracts';
import { DEFAULT_PASSWORD_COST, SCRYPT_MAX_MEMORY, type ScryptCost, scryptMemory, scryptWork } from './lib/crypto.js';
import { DEFAULT_HEAP_GROWTH_PERCENT } from './lib/heap-growth.js';

/**
 * Every environment variable the server reads, as one schema: its form, and in `description` what a valid value
 * looks like. A value that does not fit is refused at start with a message that names the variable and says what
 * to set instead. The README's configuration table documents the same variables.
 */
const v = (pattern: string, description: string) => Type.Optional(Type.String({ pattern, description }));
const oneOf = (values: string[], description: string) => Type.Optional(Type.String({ pattern: `^(${values.join('|')})$`, description }));
const WHOLE = '^[0-9]+$';
const URL_LIKE = '^https?://[^\\s]+$';

export const EnvSchema = Type.Object({
  PORT: v(WHOLE, 'a whole number from 0 to 65535 (the port, such as 8080)'),
  HOST: v('^\\S+$', 'an address to listen on, such as 0.0.0.0 or 127.0.0.1'),
  DATABASE_URL: v('^(sqlite:.+|postgres(ql)?://.+)$', 'sqlite:<path> or postgres://user@host:port/db'),
  MPOP_DATA_DIR: v('^.+$', 'a directory path, such as ./data'),
  MPOP_MASTER_KEY: v('^[A-Za-z0-9+/]{43}=$', 'the base64 of exactly 32 bytes (make one with: openssl rand -base64 32)'),
  MPOP_ADMIN_USERNAME: v('^.{1,64}$', 'a user name of 1 to 64 characters'),
  MPOP_ADMIN_PASSWORD: v('^.{12,}$', 'a password of at least 12 characters'),
  MPOP_PUBLIC_URL: v(URL_LIKE, 'an absolute http(s) URL such as https://mpop.example.com'),
  MPAAS_ENDPOINT: v('^\\S+$', 'the mPaaS OpenAPI endpoint, such as mpaas.cn-hangzhou.aliyuncs.com'),
  MPAAS_ACCESS_KEY_ID: v('^\\S+$', 'the AccessKey ID of the mPaaS backend'),
  MPAAS_ACCESS_KEY_SECRET: v('^\\S+$', 'the AccessKey secret of the mPaaS backend'),
  MPAAS_REGION: v('^[a-z0-9-]+$', 'a region ID such as cn-hangzhou'),
  MPAAS_DIRECTORY_FILE: v('^.+$', 'the path of a JSON file of apps and workspaces'),
  MPAAS_TIMEOUT_MS: v(WHOLE, 'milliseconds from 100 to 10000'),
  MPOP_MAX_PACKAGE_BYTES: v(WHOLE, 'a size in bytes from 1024 to 2147483648'),
  MPOP_SESSION_TTL_HOURS: v(WHOLE, 'hours from 1 to 720'),
  MPOP_PASSWORD_HASH_COST: v('^[0-9]{1,9},[0-9]{1,4},[0-9]{1,4}$', 'the scrypt cost of password hashes as N,r,p, such as 16384,8,5'),
  MPOP_RATE_LIMIT_PER_DEVICE: v(WHOLE, 'client API requests per minute per device, from 0 (off) to 1000000'),
  MPOP_RATE_LIMIT_PER_ADDRESS: v(WHOLE, 'client API requests per minute per client address, from 0 (off) to 100000000'),
  MPOP_RATE_LIMIT_PER_HOST_APP: v(WHOLE, 'client API requests per minute per host app (all its devices), from 0 (off) to 100000000'),
  MPOP_REDIS_PREFIX: v('^[A-Za-z0-9_.:-]{1,64}$', 'a key prefix of letters, digits and _ . : - such as mpop:'),
  MPOP_CONSOLE_DIR: v('^.+$', 'the directory of the built console'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'one of fatal, error, warn, info, debug, trace, silent'),
  LOG_FORMAT: oneOf(['auto', 'json', 'pretty'], 'auto (readable text on a terminal, JSON lines otherwise), json or pretty'),
  MPOP_TRUST_PROXY: v(
    '^(true|false|[0-9]+|[0-9A-Fa-f.:/]+(\\s*,\\s*[0-9A-Fa-f.:/]+)*)$',
    'true, false, a hop count such as 1, or proxy addresses/CIDRs separated by commas such as 10.0.0.0/8,127.0.0.1',
  ),
  REDIS_URL: v('^rediss?://\\S+$', 'a Redis URL such as redis://127.0.0.1:6379'),
  MPOP_PACKAGE_STORE: v('^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\\S*)?|[^:]+)$', 's3://bucket/prefix, or a directory path'),
  S3_ENDPOINT: v(URL_LIKE, 'the S3-compatible endpoint URL, such as https://oss-cn-hangzhou.aliyuncs.com'),
  S3_REGION: v('^[a-z0-9-]+$', 'a region such as us-east-1'),
  S3_FORCE_PATH_STYLE: oneOf(
    ['true', 'false'],
    'true (bucket in the path: MinIO, s3rver) or false (bucket in the host name: AWS S3, Alibaba Cloud OSS)',
  ),
  MPOP_PACKAGE_BASE_URL: v(URL_LIKE, 'an absolute http(s) URL under which packages are served, such as https://cdn.example.com/packages'),
  MPOP_WORKERS: v('^(auto|[0-9]+)$', 'a number of processes from 1 to 64, or auto (one per core)'),
  MPOP_SIGNING_THREADS: v('^(auto|[0-9]+)$', 'a number of signing threads per process from 1 to 64, or auto (one per core)'),
  MPOP_SIGNING_THREAD_HEAP_MB: v(WHOLE, 'megabytes of JavaScript heap per signing thread, from 8 to 1024'),
  MPOP_HEAP_GROWTH_PERCENT: v(WHOLE, 'a percent from 0 to 300 (0: V8 decides)'),
  MPOP_OIDC_ISSUER: v(URL_LIKE, 'the issuer URL of the OpenID Connect provider'),
  MPOP_OIDC_CLIENT_ID: v('^\\S+$', 'the client ID registered at the OpenID Connect provider'),
  MPOP_OIDC_CLIENT_SECRET: v('^\\S+$', 'the client secret registered at the OpenID Connect provider'),
  MPOP_OIDC_ROLE_CLAIM: v('^[A-Za-z0-9_.:/-]+$', 'the name of the ID-token claim that holds the role, such as mpop_role'),
  MPOP_OIDC_DEFAULT_ROLE: oneOf(
    ['none', 'viewer', 'operator', 'admin'],
    'viewer, operator, admin, or none (refuse users without a role claim)',
  ),
  MPOP_LOCAL_SIGNIN: oneOf(['on', 'off'], 'on or off (off: only single sign-on)'),
  MPOP_METRICS: oneOf(['on', 'off'], 'on or off'),
  MPOP_METRICS_TOKEN: v('^\\S{16,}$', 'a bearer token of at least 16 characters'),
  MPOP_EVENTS_RETENTION_DAYS: v(WHOLE, 'days from 1 to 3650'),
  MPOP_MANIFEST_TTL_HOURS: v(WHOLE, 'hours from 1 to 720'),
  MPOP_EVENTS_DEVICES_PER_ADDRESS: v(WHOLE, 'devices per client address per minute whose events are taken, from 0 (off) to 100000000'),
  MPOP_WEBHOOK_ALLOW_PRIVATE: oneOf(['0', '1'], '1 (also send webhooks to loopback and private addresses) or 0 (public addresses only)'),
  MPOP_GATE_FAST_PATH: oneOf(['on', 'off'], 'on or off'),
  MPOP_PG_PREPARED_STATEMENTS: oneOf(['on', 'off'], 'on or off (off: behind a pooler that cannot keep prepared statements)'),
  MPOP_PATCHES: oneOf(['on', 'off'], 'on or off (off: releases make no patches; those made are still offered)'),
  MPOP_PATCH_MAX_BYTES: v(WHOLE, 'a size in bytes from 1024 to 268435456'),
  MPOP_PATCH_BASE_URL: v(URL_LIKE, 'an absolute http(s) URL under which patches are served, such as https://cdn.example.com/patches'),
});
export type Env = Static<typeof EnvSchema>;

/** Everything the server reads from its environment, validated once at start. */
export interface Config {
  /**
   * What is legal but probably not meant (a config file that would carry localhost, open metrics on a public
   * interface): logged as warnings at start, so the operator reads them before a device does.
   */
  warnings: string[];
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
  /** The scrypt cost of new password hashes (MPOP_PASSWORD_HASH_COST; default N = 2^14, r = 8, p = 5). */
  passwordHashCost: ScryptCost;
  /** Where the built console lives; not served when the folder has no index.html. */
  consoleDir: string;
  logLevel: string;
  /** JSON lines (for log collectors) or pino-pretty text; `auto` picks text when stdout is a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Client API rate limits, in requests per minute; 0 turns one off. */
  rateLimits: { perDevice: number; perAddress: number; perHostApp: number };
  /** Upstream timeout of mPaaS OpenAPI calls. */
  mpaasTimeoutMs: number;
  /**
   * Whom to believe about the client address (X-Forwarded-For), for throttling and rate limits behind a load
   * balancer: false (default), true, a hop count (1..32), or a comma-separated list of proxy addresses/CIDRs.
   * Hand it to Fastify through `fastifyTrustProxy`, never as is.
   */
  trustProxy: boolean | number | string[];
  /** Shares rate-limit counters across instances; in memory without it. */
  redisUrl?: string;
  /** Prefix of every Redis key mpop writes (several installations may share one Redis). */
  redisPrefix: string;
  /** Where package files live: the data dir's `packages/` folder (default) or an S3-compatible bucket. */
  packageStore:
    | { kind: 'local'; dir: string }
    | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string; forcePathStyle?: boolean };
  /** Base of the `packageUrl` handed to host apps (a CDN in front of the store). */
  packageBaseUrl: string;
  /**
   * Patches between package versions: whether releases make them (MPOP_PATCHES), the largest package that gets one
   * (MPOP_PATCH_MAX_BYTES: making a patch holds both packages in memory), and where devices download them
   * (MPOP_PATCH_BASE_URL, default MPOP_PUBLIC_URL/client/v1/patches).
   */
  patches: { enabled: boolean; maxBytes: number; baseUrl: string };
  /** Server processes on one port (node:cluster); 1 = this process only. */
  workers: number;
  /** Worker threads that make RSA signatures, per process (MPOP_SIGNING_THREADS; default one per core). */
  signingThreads: number;
  /** The JavaScript heap each signing thread may grow to, in MiB (MPOP_SIGNING_THREAD_HEAP_MB; default 32). */
  signingThreadHeapMb: number;
  /**
   * How far the heap may grow past what a full garbage collection kept before the next one, in percent
   * (MPOP_HEAP_GROWTH_PERCENT; default 50; 0: V8 decides, up to 300 %). See lib/heap-growth.ts.
   */
  heapGrowthPercent: number;
  oidc?: { issuer: string; clientId: string; clientSecret: string; roleClaim?: string; defaultRole?: 'viewer' | 'operator' | 'admin' };
  /** Whether username/password sign-in is offered (it may be turned off when SSO is configured). */
  localSignIn: boolean;
  metrics: { enabled: boolean; token?: string };
  /** `MPOP_GATE_FAST_PATH=off`: every gate request goes through Fastify's route (for a comparison, or a doubt). */
  gateFastPath: boolean;
  /**
   * `MPOP_PG_PREPARED_STATEMENTS=off`: PostgreSQL plans every statement anew (for a connection pooler in transaction
   * mode that cannot keep named prepared statements, such as PgBouncer before 1.21).
   */
  pgPreparedStatements: boolean;
  /** How long adoption data (latest version per device, daily event counters) is kept. */
  eventsRetentionDays: number;
  /** How long a signed gate answer (manifest) is valid; it is renewed after half of it. */
  manifestTtlHours: number;
  /** Distinct devices per client address and minute whose events are taken; 0 turns the bound off. */
  eventsDevicesPerAddress: number;
  /** Whether webhooks may target loopback, private and link-local addresses (a trusted network, tests). */
  webhookAllowPrivate: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_CONSOLE_DIR = path.resolve(here, '../../console/dist');
/** Packages up to this size get patches by default: making one takes about 20 times its size in memory (docs/BENCHMARKS.md). */
const DEFAULT_PATCH_MAX_BYTES = 16 * 1024 * 1024;

/** Variables whose values are never echoed in a message. */
const SECRETS = new Set([
  'MPOP_MASTER_KEY',
  'MPOP_ADMIN_PASSWORD',
  'MPAAS_ACCESS_KEY_SECRET',
  'MPOP_OIDC_CLIENT_SECRET',
  'MPOP_METRICS_TOKEN',
]);

/** Checks every variable against the schema; the first misfit becomes a message naming it and saying what to set. */
function checkEnv(env: NodeJS.ProcessEnv): Env {
  const known: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') known[name] = raw;
  }
  // Every variable is an optional string with a pattern (v and oneOf above): checked here without TypeBox's value
  // checker, which would add a tenth of a second to every start for these few regular expressions.
  for (const [name, raw] of Object.entries(known)) {
    const schema = (EnvSchema.properties as Record<string, TSchema & { pattern?: string; description?: string }>)[name];
    if (schema?.pattern === undefined || new RegExp(schema.pattern).test(raw)) continue;
    const value = name === 'DATABASE_URL' ? redactDatabaseUrl(known[name]) : known[name];
    const shown = SECRETS.has(name) ? 'it is not' : `it is "${value}"`;
    throw new ConfigError(`${name} must be ${schema?.description ?? 'valid'}; ${shown}.`);
  }
  return known as Env;
}

function int(env: Env, name: keyof Env, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
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

/** The most proxies a hop count may name: a longer chain is a mistake, not a deployment. */
const MAX_PROXY_HOPS = 32;

/**
 * MPOP_TRUST_PROXY in the forms the server honours, each checked here so that no value is silently ignored:
 * Fastify 5 treats a bare hop count as "trust nothing" and stops at start on an address it cannot parse.
 */
function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > MAX_PROXY_HOPS) {
      throw new ConfigError(
        `MPOP_TRUST_PROXY as a hop count must be from 1 to ${MAX_PROXY_HOPS} (the number of proxies in front of mpop); it is "${raw}". To trust no proxy, leave it unset or set false.`,
      );
    }
    return hops;
  }
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!isAddressOrCidr(entry)) {
      throw new ConfigError(
        `MPOP_TRUST_PROXY lists "${entry}", which is not an IP address or CIDR range (such as 10.0.0.7 or 10.0.0.0/8); the server would not recognise its proxy.`,
      );
    }
  }
  return entries;
}

/** An IPv4 or IPv6 address, or one with a prefix length that fits it (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The `trustProxy` option to hand Fastify for a parsed MPOP_TRUST_PROXY. A hop count becomes the function Express
 * and proxy-addr define for it (trust the `hops` nearest addresses, whoever they are), since Fastify 5 itself treats
 * a number as "trust nothing". Addresses and `true` Fastify honours as they are.
 */
export function fastifyTrustProxy(trustProxy: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy === 'number') {
    const hops = trustProxy;
    return (_address, hop) => hop < hops;
  }
  return trustProxy;
}

/** Every variable of the group must be set, or none. */
/** The example passwords of the docs: a server started with one has an admin whose password everyone can read. */
const DOCUMENTED_PASSWORDS = new Set(['choose-a-long-passphrase', 'a-passphrase-of-12+-chars']);

/** Whether a listening address keeps the server on this machine. */
export const isLoopbackHost = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

function startupWarnings(env: Env, host: string, publicUrl: string, metricsOpen: boolean): string[] {
  const out: string[] = [];
  if (isLoopbackHost(host)) return out;
  const where = host === '0.0.0.0' || host === '::' ? 'every network interface' : host;
  if (!env.MPOP_PUBLIC_URL) {
    out.push(
      `MPOP_PUBLIC_URL is not set, so config files and package URLs carry ${publicUrl}, which no phone can reach; ` +
        `set MPOP_PUBLIC_URL to the address devices use (e.g. https://mpop.example.com) before handing out config files.`,
    );
  }
  if (metricsOpen) {
    out.push(`/metrics is open to anyone who can reach ${where}: set MPOP_METRICS_TOKEN (or MPOP_METRICS=off).`);
  }
  if (!env.HOST) out.push(`listening on ${where} (HOST is not set); set HOST=127.0.0.1 to keep mpop on this machine.`);
  return out;
}

/** The default password cost as MPOP_PASSWORD_HASH_COST spells it. */
const DEFAULT_COST_TEXT = `${DEFAULT_PASSWORD_COST.N},${DEFAULT_PASSWORD_COST.r},${DEFAULT_PASSWORD_COST.p}`;

/** Most work a password hash may take, as a multiple of the default's (about 0.2 s of a core): a sign-in stays short. */
const PASSWORD_WORK_MAX = 16;

/** MPOP_PASSWORD_HASH_COST: `N,r,p`, N a power of two from 2^10, within 64 MiB and 16 times the default's work. */
function passwordCost(raw: string | undefined): ScryptCost {
  if (!raw) return { ...DEFAULT_PASSWORD_COST };
  const [N, r, p] = raw.split(',').map(Number);
  const cost = { N, r, p };
  const problem =
    N < 1024 || (N & (N - 1)) !== 0
      ? 'N must be a power of two from 1024 (2^10)'
      : r < 1 || p < 1
        ? 'r and p must be at least 1'
        : scryptMemory(cost) > SCRYPT_MAX_MEMORY
          ? `128 · N · r bytes must be at most 64 MiB (this is ${Math.ceil(scryptMemory(cost) / 2 ** 20)} MiB)`
          : scryptWork(cost) > PASSWORD_WORK_MAX * scryptWork(DEFAULT_PASSWORD_COST)
            ? `N · r · p must be at most ${PASSWORD_WORK_MAX} times the default's (${DEFAULT_COST_TEXT}), or each sign-in takes seconds`
            : undefined;
  if (problem) throw new ConfigError(`MPOP_PASSWORD_HASH_COST=${raw}: ${problem}. The default is ${DEFAULT_COST_TEXT}.`);
  return cost;
}

/** A password cost of less work than the default's is for tests: said at every start. */
function passwordCostWarnings(cost: ScryptCost): string[] {
  if (scryptWork(cost) >= scryptWork(DEFAULT_PASSWORD_COST)) return [];
  return [
    `MPOP_PASSWORD_HASH_COST=${cost.N},${cost.r},${cost.p} is less work than the default (${DEFAULT_COST_TEXT}): passwords in a stolen ` +
      'database are that much quicker to guess. Use it for tests only.',
  ];
}

function allOrNone(env: Env, names: (keyof Env)[], what: string): boolean {
  const set = names.filter((n) => env[n]);
  if (set.length > 0 && set.length < names.length) {
    const missing = names.filter((n) => !env[n]);
    throw new ConfigError(`${what} is half configured: also set ${missing.join(', ')}.`);
  }
  return set.length === names.length;
}

function packageStore(env: Env, dataDir: string): Config['packageStore'] {
  const raw = env.MPOP_PACKAGE_STORE;
  if (!raw?.startsWith('s3://')) return { kind: 'local', dir: path.resolve(raw ?? path.join(dataDir, 'packages')) };
  const [bucket, ...rest] = raw.slice('s3://'.length).split('/');
  return {
    kind: 's3',
    bucket,
    prefix: rest.join('/').replace(/\/+$/, ''),
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
  };
}

function workers(raw: string | undefined): number {
  if (raw === 'auto') return Math.max(1, os.availableParallelism());
  const n = raw === undefined ? 1 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new ConfigError(`MPOP_WORKERS must be a number of processes from 1 to 64, or auto; it is "${raw}".`);
  return n;
}

function signingThreads(raw: string | undefined): number {
  if (raw === undefined || raw === 'auto') return Math.max(1, os.availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new ConfigError(`MPOP_SIGNING_THREADS must be a number of signing threads per process from 1 to 64, or auto; it is "${raw}".`);
  return n;
}

/** A PostgreSQL URL with its password replaced, for messages and logs. */
export function redactDatabaseUrl(databaseUrl: string): string {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return databaseUrl;
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return databaseUrl.replace(/:\/\/([^:/@]*):[^@]*@/, '://$1:***@');
  }
}

/**
 * A PostgreSQL URL must name its database: without one, PostgreSQL connects to the user's default database
 * (often `postgres`) and the server would silently create its tables there.
 */
function checkDatabaseName(databaseUrl: string) {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return;
  let name = '';
  try {
    name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  } catch {
    throw new ConfigError(`DATABASE_URL must be a URL such as postgres://user@host:5432/mpop; "${redactDatabaseUrl(databaseUrl)}" is not.`);
  }
  if (!name) {
    throw new ConfigError(
      `DATABASE_URL must name a database, such as postgres://user@host:5432/mpop; "${redactDatabaseUrl(databaseUrl)}" names none ` +
        '(PostgreSQL would use the default database of the user). Create one with: createdb mpop',
    );
  }
}

/** Reads and validates the configuration; throws a ConfigError whose message names the variable and what to fix. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): Config {
  const env = checkEnv(rawEnv);
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDir = path.resolve(env.MPOP_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || `sqlite:${path.join(dataDir, 'mpop.db')}`;
  checkDatabaseName(databaseUrl);
  if (env.MPOP_MASTER_KEY !== undefined && Buffer.from(env.MPOP_MASTER_KEY, 'base64').length !== 32) {
    throw new ConfigError('MPOP_MASTER_KEY must be the base64 of exactly 32 bytes (make one with: openssl rand -base64 32).');
  }
  allOrNone(env, ['MPOP_ADMIN_USERNAME', 'MPOP_ADMIN_PASSWORD'], 'The first admin');
  if (env.MPOP_ADMIN_PASSWORD && DOCUMENTED_PASSWORDS.has(env.MPOP_ADMIN_PASSWORD)) {
    throw new ConfigError(
      'MPOP_ADMIN_PASSWORD is the example from the documentation, which anyone can read: choose a passphrase of your own (at least 12 characters).',
    );
  }
  const publicUrl = (env.MPOP_PUBLIC_URL || `http://localhost:${port || 8080}`).replace(/\/+$/, '');
  url('MPOP_PUBLIC_URL', publicUrl);

  const mpaas = allOrNone(env, ['MPAAS_ENDPOINT', 'MPAAS_ACCESS_KEY_ID', 'MPAAS_ACCESS_KEY_SECRET'], 'The mPaaS backend')
    ? {
        endpoint: env.MPAAS_ENDPOINT!,
        accessKeyId: env.MPAAS_ACCESS_KEY_ID!,
        accessKeySecret: env.MPAAS_ACCESS_KEY_SECRET!,
        region: env.MPAAS_REGION,
      }
    : undefined;
  if (mpaas) url('MPAAS_ENDPOINT', /^https?:\/\//.test(mpaas.endpoint) ? mpaas.endpoint : `https://${mpaas.endpoint}`);

  const oidc = allOrNone(env, ['MPOP_OIDC_ISSUER', 'MPOP_OIDC_CLIENT_ID', 'MPOP_OIDC_CLIENT_SECRET'], 'Single sign-on')
    ? {
        issuer: env.MPOP_OIDC_ISSUER!,
        clientId: env.MPOP_OIDC_CLIENT_ID!,
        clientSecret: env.MPOP_OIDC_CLIENT_SECRET!,
        roleClaim: env.MPOP_OIDC_ROLE_CLAIM,
        defaultRole:
          env.MPOP_OIDC_DEFAULT_ROLE === 'none' ? undefined : (env.MPOP_OIDC_DEFAULT_ROLE as 'viewer' | 'operator' | 'admin' | undefined),
      }
    : undefined;
  const localSignIn = env.MPOP_LOCAL_SIGNIN !== 'off';
  if (!localSignIn && !oidc) {
    throw new ConfigError(
      'MPOP_LOCAL_SIGNIN=off needs single sign-on: also set MPOP_OIDC_ISSUER, MPOP_OIDC_CLIENT_ID and MPOP_OIDC_CLIENT_SECRET.',
    );
  }

  const passwordHashCost = passwordCost(env.MPOP_PASSWORD_HASH_COST);
  const host = env.HOST || '0.0.0.0';
  const metrics = { enabled: env.MPOP_METRICS !== 'off', token: env.MPOP_METRICS_TOKEN };
  return {
    warnings: [...passwordCostWarnings(passwordHashCost), ...startupWarnings(env, host, publicUrl, metrics.enabled && !metrics.token)],
    port,
    host,
    dataDir,
    databaseUrl,
    masterKey: env.MPOP_MASTER_KEY,
    adminUsername: env.MPOP_ADMIN_USERNAME,
    adminPassword: env.MPOP_ADMIN_PASSWORD,
    publicUrl,
    mpaas,
    mpaasDirectoryFile: env.MPAAS_DIRECTORY_FILE ? path.resolve(env.MPAAS_DIRECTORY_FILE) : undefined,
    maxPackageBytes: int(env, 'MPOP_MAX_PACKAGE_BYTES', 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    sessionTtlMs: int(env, 'MPOP_SESSION_TTL_HOURS', 12, 1, 24 * 30) * 3600_000,
    passwordHashCost,
    consoleDir: env.MPOP_CONSOLE_DIR ? path.resolve(env.MPOP_CONSOLE_DIR) : DEFAULT_CONSOLE_DIR,
    logLevel: env.LOG_LEVEL || 'info',
    logFormat: (env.LOG_FORMAT as Config['logFormat'] | undefined) ?? 'auto',
    rateLimits: {
      perDevice: int(env, 'MPOP_RATE_LIMIT_PER_DEVICE', 60, 0, 1_000_000),
      perAddress: int(env, 'MPOP_RATE_LIMIT_PER_ADDRESS', 3000, 0, 100_000_000),
      perHostApp: int(env, 'MPOP_RATE_LIMIT_PER_HOST_APP', 0, 0, 100_000_000),
    },
    mpaasTimeoutMs: int(env, 'MPAAS_TIMEOUT_MS', 10_000, 100, 10_000),
    trustProxy: parseTrustProxy(env.MPOP_TRUST_PROXY),
    redisUrl: env.REDIS_URL,
    redisPrefix: env.MPOP_REDIS_PREFIX || 'mpop:',
    packageStore: packageStore(env, dataDir),
    packageBaseUrl: (env.MPOP_PACKAGE_BASE_URL || `${publicUrl}/client/v1/packages`).replace(/\/+$/, ''),
    workers: workers(env.MPOP_WORKERS),
    signingThreads: signingThreads(env.MPOP_SIGNING_THREADS),
    signingThreadHeapMb: int(env, 'MPOP_SIGNING_THREAD_HEAP_MB', 32, 8, 1024),
    heapGrowthPercent: int(env, 'MPOP_HEAP_GROWTH_PERCENT', DEFAULT_HEAP_GROWTH_PERCENT, 0, 300),
    oidc,
    localSignIn,
    metrics,
    gateFastPath: env.MPOP_GATE_FAST_PATH !== 'off',
    pgPreparedStatements: env.MPOP_PG_PREPARED_STATEMENTS !== 'off',
    eventsRetentionDays: int(env, 'MPOP_EVENTS_RETENTION_DAYS', 30, 1, 3650),
    manifestTtlHours: int(env, 'MPOP_MANIFEST_TTL_HOURS', MANIFEST_TTL_HOURS.default, MANIFEST_TTL_HOURS.min, MANIFEST_TTL_HOURS.max),
    eventsDevicesPerAddress: int(env, 'MPOP_EVENTS_DEVICES_PER_ADDRESS', 1000, 0, 100_000_000),
    webhookAllowPrivate: env.MPOP_WEBHOOK_ALLOW_PRIVATE === '1',
    patches: {
      enabled: env.MPOP_PATCHES !== 'off',
      maxBytes: int(env, 'MPOP_PATCH_MAX_BYTES', DEFAULT_PATCH_MAX_BYTES, 1024, 256 * 1024 * 1024),
      baseUrl: (env.MPOP_PATCH_BASE_URL || `${publicUrl}/client/v1/patches`).replace(/\/+$/, ''),
    },
  };
}
