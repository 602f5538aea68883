import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type BuildOptions, buildApp, ensureFirstAdmin } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { adminQuery, urlWithSchema } from './postgres.js';

export type DialectName = 'sqlite' | 'postgres';
/** What tests may set of the app's build options: the clock, the webhook delivery timing. */
type Build = Pick<
  BuildOptions,
  'clock' | 'webhooks' | 'autopilotIntervalMs' | 'scheduledStepsIntervalMs' | 'patchJobs' | 'databasePlugins'
>;

/** The dialects this run tests: SQLite always, PostgreSQL when the global setup made a run database. */
export const dialects: DialectName[] = process.env.MPOP_TEST_PG_RUN_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export const ADMIN = { username: 'admin', password: 'admin-password-123' };

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  dataDir: string;
  /** Every log line the app wrote. */
  logs: () => string;
  /** Stops the app; the data stays, so `restart()` can prove persistence. */
  close: () => Promise<void>;
  /** Starts it again on the same data (with other build options, if given). */
  restart: (build?: Build) => Promise<TestApp>;
  /** Removes the data dir (and the PostgreSQL schema). */
  destroy: () => Promise<void>;
}

/**
 * The test apps' password hash cost: the cheapest the server accepts (1 MiB, about 2 ms a hash against 0.2 s at the
 * default), as Django's and Rails' own test settings do: hundreds of sign-ins per file would otherwise spend minutes
 * hashing. password-hash.test.ts checks the default cost and the rehash to it on an app started with it.
 */
export const TEST_PASSWORD_HASH_COST = '1024,8,1';

/** Starts the real app on a fresh data dir and database, with a bootstrap admin. */
export async function startApp(dialect: DialectName, env: Record<string, string> = {}, build: Build = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-test-'));
  let databaseUrl = `sqlite:${path.join(dataDir, 'mpop.db')}`;
  let schema: string | undefined;
  if (dialect === 'postgres') {
    schema = `t_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create schema ${schema}`, process.env.MPOP_TEST_PG_RUN_URL!);
    databaseUrl = urlWithSchema(process.env.MPOP_TEST_PG_RUN_URL!, schema);
  }
  const config = loadConfig({
    MPOP_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    MPOP_ADMIN_USERNAME: ADMIN.username,
    MPOP_ADMIN_PASSWORD: ADMIN.password,
    MPOP_PUBLIC_URL: 'http://mpop.test',
    LOG_LEVEL: 'debug',
    MPOP_CONSOLE_DIR: path.join(dataDir, 'no-console'),
    MPOP_PASSWORD_HASH_COST: TEST_PASSWORD_HASH_COST,
    ...env,
  });
  return launch(config, dataDir, schema, build);
}

async function launch(config: Config, dataDir: string, schema: string | undefined, build: Build): Promise<TestApp> {
  let captured = '';
  const stream = new PassThrough();
  stream.on('data', (c) => (captured += c.toString()));
  const app = await buildApp(config, { ...build, logStream: stream });
  await ensureFirstAdmin(app);
  const t: TestApp = {
    app,
    config,
    dataDir,
    logs: () => captured,
    close: () => app.close(),
    restart: async (next = build) => {
      await app.close();
      return launch(config, dataDir, schema, next);
    },
    destroy: async () => {
      await app.close().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (schema) await adminQuery(`drop schema if exists ${schema} cascade`, process.env.MPOP_TEST_PG_RUN_URL!);
    },
  };
  return t;
}

/** A signed-in client: injects requests with the session cookie (and the platform's Origin on changes). */
export class Client {
  constructor(
    readonly app: FastifyInstance,
    readonly cookie?: string,
    readonly bearer?: string,
  ) {}

  static async signIn(app: FastifyInstance, username = ADMIN.username, password = ADMIN.password): Promise<Client> {
    const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'mpop_session')!;
    return new Client(app, `mpop_session=${cookie.value}`);
  }

  request(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>) };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.cookie && opts.method && opts.method !== 'GET' && !('origin' in headers)) headers.origin = 'http://mpop.test';
    return this.app.inject({ ...opts, headers });
  }

  get = (url: string) => this.request({ method: 'GET', url });
  post = (url: string, payload?: unknown) => this.request({ method: 'POST', url, payload: payload as InjectOptions['payload'] });
  put = (url: string, payload?: unknown) => this.request({ method: 'PUT', url, payload: payload as InjectOptions['payload'] });
  delete = (url: string) => this.request({ method: 'DELETE', url });
}

/** Creates a user with a role and returns a client signed in as them. */
export async function userWithRole(admin: Client, role: 'admin' | 'operator' | 'viewer'): Promise<Client> {
  const username = `${role}-${randomBytes(3).toString('hex')}`;
  const password = `${role}-password-123`;
  const res = await admin.post('/api/v1/users', { username, password, role });
  if (res.statusCode !== 201) throw new Error(`create user failed: ${res.body}`);
  return Client.signIn(admin.app, username, password);
}

/** Multipart form for the dev-config upload. */
export function devConfigForm(virtualDomain: string | undefined, key?: string | Buffer, fileName = 'private_key.pem'): FormData {
  const form = new FormData();
  if (virtualDomain !== undefined) form.append('virtualDomain', virtualDomain);
  if (key !== undefined) form.append('privateKey', new Blob([typeof key === 'string' ? key : new Uint8Array(key)]), fileName);
  return form;
}
