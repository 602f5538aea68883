import cluster from 'node:cluster';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import type { Kysely } from 'kysely';
import { type Config, redactDatabaseUrl } from './config.js';
import { connectDatabase, sqliteFile } from './db/connect.js';
import { lockSqlite } from './db/sqlite-lock.js';
import { ClusterIpcTransport } from './lib/cluster-ipc-transport.js';
import { migrateToLatest } from './db/migrations/index.js';
import type { Database } from './db/schema.js';
import { AppError } from './lib/app-error.js';
import { ChangeBus } from './lib/change-bus.js';
import { SecretBox } from './lib/crypto.js';
import { resolveMasterKey, verifyMasterKey } from './modules/operations/master-key.js';
import { ensurePrivateDir } from './lib/private-files.js';
import { AuthService } from './modules/auth/auth.service.js';
import { OidcService } from './modules/auth/oidc.service.js';
import { TokenService } from './modules/auth/token.service.js';
import { UserService } from './modules/auth/user.service.js';
import { HostAppService } from './modules/host-apps/host-app.service.js';
import { FileDirectory } from './modules/mpaas/file-directory.js';
import { lazyDirectory, UnconfiguredDirectory, type MpaasDirectory } from './modules/mpaas/mpaas-directory.js';
import { MpaasSyncService } from './modules/mpaas/mpaas-sync.service.js';
import { GateService } from './modules/gate/gate.service.js';
import { EventsService } from './modules/events/events.service.js';
import { PackageSigner } from './modules/signing/package-signer.js';
import { MiniProgramService } from './modules/mini-programs/mini-program.service.js';
import { ReleaseService } from './modules/releases/release.service.js';
import { openPackageStore } from './modules/mini-programs/open-package-store.js';
import type { PackageStore } from './modules/mini-programs/package-store.js';
import { SigningPool } from './modules/signing/signing-pool.js';
import { PgNotifyTransport } from './db/pg-notify-transport.js';
import { DatabaseOutbox, type Outbox } from './modules/webhooks/outbox.js';
import { DEFAULT_DISPATCHER, type DispatcherOptions, WebhookDispatcher } from './modules/webhooks/dispatcher.js';
import { WebhookService } from './modules/webhooks/webhook.service.js';
import authPlugin from './plugins/app/auth.js';
import finiteNumbers from './plugins/app/finite-numbers.js';
import gracefulClose from './plugins/app/graceful-close.js';
import multipartPlugin, { fileFieldsForOpenApi, fileKeyword } from './plugins/app/multipart.js';
import metricsPlugin from './plugins/app/metrics.js';
import problemPlugin, { sendProblem } from './plugins/app/problem.js';
import hostileInput from './plugins/app/hostile-input.js';
import securityHeaders from './plugins/external/helmet.js';
import slowClients, { serverTimeouts } from './plugins/app/slow-clients.js';
import health from './routes/health.js';
import sessionRoutes from './routes/admin/session.js';
import userRoutes from './routes/admin/users.js';
import tokenRoutes from './routes/admin/tokens.js';
import auditRoutes from './routes/admin/audit.js';
import hostAppRoutes from './routes/admin/host-apps.js';
import mpaasRoutes from './routes/admin/mpaas.js';
import miniProgramRoutes from './routes/admin/mini-programs.js';
import adoptionRoutes from './routes/admin/adoption.js';
import releaseRoutes from './routes/admin/releases.js';
import signingJobRoutes from './routes/admin/signing-jobs.js';
import webhookRoutes from './routes/admin/webhooks.js';
import clientRoutes from './routes/client/resources.js';
import { GateFastPath } from './routes/client/resources-fast-path.js';

export interface Services {
  auth: AuthService;
  /** Single sign-on, when MPOP_OIDC_* configure it. */
  oidc?: OidcService;
  users: UserService;
  tokens: TokenService;
  hostApps: HostAppService;
  mpaasSync: MpaasSyncService;
  miniPrograms: MiniProgramService;
  releases: ReleaseService;
  signer: PackageSigner;
  gate: GateService;
  events: EventsService;
  changes: ChangeBus;
  /** Events recorded for webhooks, in the transaction of the change that caused them. */
  outbox: Outbox;
  webhooks: WebhookService;
  /** Delivers the recorded events to the webhooks, in the background. */
  webhookDispatcher: WebhookDispatcher;
}

/** A live mPaaS backend when configured, else the offline directory file, else a directory that explains what to set. */
function mpaasDirectory(config: Config): MpaasDirectory {
  const { mpaas } = config;
  if (mpaas) {
    return lazyDirectory(async () => {
      const { OpenApiDirectory } = await import('./modules/mpaas/openapi-directory.js');
      return new OpenApiDirectory({ ...mpaas, timeoutMs: config.mpaasTimeoutMs });
    });
  }
  if (config.mpaasDirectoryFile) return FileDirectory.checkedAtStart(config.mpaasDirectoryFile);
  return new UnconfiguredDirectory();
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Kysely<Database>;
    services: Services;
    packageStore: PackageStore;
    gateFastPath: GateFastPath;
  }
}

/** The request id: the caller's `x-request-id` when it is a sensible one, else a new UUID. */
function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
}

export interface BuildOptions {
  /** Where JSON log lines go (stdout by default); tests capture them to prove no secret is logged. */
  logStream?: Writable;
  /**
   * Whether this process does the start-up chores (making signatures a crashed process left unmade). Of the
   * processes of one MPOP_WORKERS cluster only the first does. Default: true.
   */
  startupTasks?: boolean;
  /** The clock of release ramps (epoch milliseconds); tests move it to check scheduled steps. */
  clock?: () => number;
  /** Webhook delivery timing (tests make retries fast); by default the Standard Webhooks schedule, 10 s per attempt. */
  webhooks?: Partial<Pick<DispatcherOptions, 'retryDelaysMs' | 'timeoutMs' | 'pollMs'>>;
}

/**
 * The one place that assembles the server: the entry point and every test use it, so tests run what users run.
 * Opens (and migrates) the database, wires services and registers every route.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // Settings that name files are checked before anything is opened, so a refusal leaves nothing behind.
  const directory = mpaasDirectory(config);
  ensurePrivateDir(config.dataDir);
  const masterKey = resolveMasterKey(config.dataDir, config.masterKey);
  const box = new SecretBox(masterKey.key);
  const packageStore = await openPackageStore(config);
  // One SQLite database, one mpop (its workers share the primary's hold): a second one would serve stale answers.
  const dbFile = sqliteFile(config.databaseUrl);
  const unlock = dbFile && !cluster.isWorker ? lockSqlite(dbFile) : () => {};
  const handle = connectDatabase(config.databaseUrl);
  const migrationWarnings: string[] = []; // logged once the logger exists
  try {
    await migrateToLatest(handle.db, handle.dialect, (message) => migrationWarnings.push(message));
    await verifyMasterKey(handle.db, masterKey, config.dataDir);
  } catch (err) {
    await handle.db.destroy();
    unlock();
    throw err;
  }

  let fastifyHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let fastPath: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Belt and braces: the default serializers log no headers, but if anyone adds them, these stay hidden.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    genReqId: requestId,
    bodyLimit: 1024 * 1024,
    // The server is made here so that the gate's fast path sees each request first (it hands the rest to Fastify).
    serverFactory: (handler) => {
      fastifyHandler = handler;
      // Slow clients (a body trickled a byte at a time) are cut off in seconds; large uploads at normal speed are not.
      const timeouts = serverTimeouts(config.maxPackageBytes);
      const server = http.createServer(timeouts.http, (req, res) => (fastPath ?? handler)(req, res));
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
    // Fastify accepts a hop count at run time (documented), but its type overloads leave `number` out.
    trustProxy: config.trustProxy as boolean | string[],
    forceCloseConnections: false, // idle keep-alive connections are closed by the graceful-close plugin
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true }, plugins: [fileKeyword] },
  }).withTypeProvider<TypeBoxTypeProvider>();
  for (const message of migrationWarnings) app.log.warn(message);

  if (masterKey.generated) {
    app.log.warn(
      `generated the master key in ${masterKey.source}: back it up now, apart from the database backups; without it the stored private keys cannot be used (or set MPOP_MASTER_KEY)`,
    );
  }

  // Several instances may share one PostgreSQL: changes reach the others' caches through LISTEN/NOTIFY. The
  // workers of one cluster on SQLite tell each other through the primary process.
  const transport = handle.pool
    ? new PgNotifyTransport(handle.pool, config.databaseUrl, app.log)
    : ClusterIpcTransport.available()
      ? new ClusterIpcTransport()
      : undefined;
  const changes = new ChangeBus(transport, (err) =>
    app.log.error({ err: { message: (err as Error).message } }, 'could not tell other instances about a change'),
  );
  const signingPool = new SigningPool();
  const signer = new PackageSigner(handle.db, box, signingPool, packageStore, changes, app.log);
  const hostApps = new HostAppService(handle.db, box, changes, (hostAppId) => signer.signMissing({ hostAppId }, 'key uploaded'));
  const auth = new AuthService(handle.db, config.sessionTtlMs);
  const outbox = new DatabaseOutbox(options.clock);
  const webhookDispatcher = new WebhookDispatcher(handle.db, box, app.log, {
    ...DEFAULT_DISPATCHER,
    ...options.webhooks,
    clock: options.clock ?? Date.now,
    allowPrivate: config.webhookAllowPrivate,
  });
  outbox.onRecord = () => webhookDispatcher.wake();
  const releases = new ReleaseService(handle.db, signer, changes, options.clock, outbox);
  const services: Services = {
    auth,
    oidc: config.oidc && new OidcService(handle.db, box, auth, config.oidc, config.publicUrl),
    users: new UserService(handle.db),
    tokens: new TokenService(handle.db),
    hostApps,
    mpaasSync: new MpaasSyncService(handle.db, directory, hostApps),
    miniPrograms: new MiniProgramService(handle.db, packageStore, signer, changes, undefined, releases),
    releases,
    signer,
    events: new EventsService(handle.db, changes, app.log, { retentionDays: config.eventsRetentionDays }),
    gate: new GateService(handle.db, changes, config.packageBaseUrl, options.clock),
    changes,
    outbox,
    webhooks: new WebhookService(handle.db, box, config.webhookAllowPrivate),
    webhookDispatcher,
  };
  const gateFastPath = new GateFastPath(services.gate, app.log, app.getDefaultJsonParser('error', 'error'), requestId);
  if (fastifyHandler) fastPath = gateFastPath.handler(fastifyHandler);
  app.decorate('gateFastPath', gateFastPath);
  app.decorate('packageStore', packageStore);
  app.decorate('config', config);
  app.decorate('db', handle.db);
  app.decorate('services', services);
  app.addHook('preClose', (done) => {
    gateFastPath.close();
    done();
  });
  app.addHook('onClose', async () => {
    await webhookDispatcher.stop(); // attempts in flight are given back to the queue
    await services.events.stop(); // writes the buffered events first
    await changes.close();
    await signingPool.close();
    await packageStore.close();
    await handle.db.destroy();
    unlock();
  });
  // Set when the request arrives (a synchronous hook: no promise per request), so every answer carries it.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(gracefulClose);
  await app.register(securityHeaders, { https: config.publicUrl.startsWith('https://') });
  await app.register(problemPlugin);
  await app.register(hostileInput);
  await app.register(slowClients);
  await app.register(finiteNumbers);
  await app.register(metricsPlugin, config.metrics);
  await app.register(cookie);
  await app.register(multipartPlugin);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mpop: Mini Program Open Platform',
        version: '0.1.0',
        description: 'Admin API (/api/v1) and client API (/client/v1). Errors are RFC 9457 problem details with a stable `code`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mpop_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transformObject: (generated) => fileFieldsForOpenApi('openapiObject' in generated ? generated.openapiObject : generated.swaggerObject),
  });
  // No validator badge: it would load an image from validator.swagger.io, which the CSP (rightly) refuses.
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { validatorUrl: null } });

  await app.register(health);
  await app.register(
    async (api) => {
      await api.register(authPlugin, { auth: services.auth, publicOrigin: new URL(config.publicUrl).origin });
      await api.register(sessionRoutes);
      await api.register(userRoutes);
      await api.register(tokenRoutes);
      await api.register(auditRoutes);
      await api.register(hostAppRoutes);
      await api.register(mpaasRoutes);
      await api.register(miniProgramRoutes);
      await api.register(adoptionRoutes);
      await api.register(releaseRoutes);
      await api.register(signingJobRoutes);
      await api.register(webhookRoutes);
    },
    { prefix: '/api/v1' },
  );
  await app.register(clientRoutes, { prefix: '/client/v1' });

  const consoleIndex = path.join(config.consoleDir, 'index.html');
  const serveConsole = fs.existsSync(consoleIndex);
  if (serveConsole)
    await app.register(fastifyStatic, {
      root: config.consoleDir,
      wildcard: false,
      index: false,
      setHeaders: (reply, file) => {
        reply.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0];
    const isApi = url.startsWith('/api/') || url.startsWith('/client/') || url === '/api';
    // A missing file (an asset of an older build, a typo) is a 404, never the console's page: a browser that asked
    // for a script must not be handed HTML.
    const isFile = url.startsWith('/assets/') || /\.[A-Za-z0-9]{1,8}$/.test(url);
    // Client-side routes of the console fall back to the app; everything else is a 404 problem.
    if (serveConsole && !isApi && !isFile && (request.method === 'GET' || request.method === 'HEAD')) {
      return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
    }
    return sendProblem(reply, new AppError('NOT_FOUND', `There is no ${request.method} ${url}. The API is described at /api/docs.`));
  });

  try {
    await services.changes.start();
    await app.ready();
    services.events.start();
    webhookDispatcher.start();
  } catch (err) {
    await app.close().catch(() => {}); // closes the database too (onClose)
    throw err;
  }
  // A process that stopped mid-job (crash, deploy) may have left signatures unmade: make them now, in the background.
  if (options.startupTasks !== false)
    void signer
      .signMissing({}, 'start-up check')
      .catch((err) => app.log.error({ err: { message: (err as Error).message } }, 'start-up signing check failed'));
  return app;
}

/** Creates the bootstrap admin if configured; otherwise tells the operator how to make the first one. */
export async function ensureFirstAdmin(app: FastifyInstance): Promise<void> {
  const { config, services } = app;
  if (await services.users.bootstrapAdmin(config.adminUsername, config.adminPassword)) {
    app.log.info({ username: config.adminUsername }, 'created the first admin from MPOP_ADMIN_USERNAME');
  } else if (!(await services.users.hasUsers())) {
    // The command must work as printed: with the database (and data dir) this server uses, never a password.
    const env = [`DATABASE_URL='${redactDatabaseUrl(config.databaseUrl)}'`];
    if (config.dataDir !== path.resolve('data')) env.push(`MPOP_DATA_DIR='${config.dataDir}'`);
    app.log.warn(
      `No user exists yet. Create the first admin by starting once with: ${env.join(' ')} ` +
        "MPOP_ADMIN_USERNAME=admin MPOP_ADMIN_PASSWORD='<a passphrase of yours, 12+ characters>' npm start " +
        `(or, with the server running or not: ${env.join(' ')} npx mpop admin create-user --username admin --role admin)`,
    );
  }
}

export type { Config } from './config.js';
export { loadConfig, ConfigError } from './config.js';
