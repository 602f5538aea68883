import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RESOURCES_URL, ResourcesRequestSchema } from '@mpop/contracts';
import type { Kysely, KyselyPlugin } from 'kysely';
import { type Config, fastifyTrustProxy, redactDatabaseUrl } from './config.js';
import type { Database } from './db/schema.js';
import { openInstallation } from './installation.js';
import type { PackageStore } from './modules/mini-programs/package-store.js';
import { createServices, type ServiceOptions, type Services } from './services.js';
import authPlugin from './plugins/app/auth.js';
import organisationRoutes from './routes/admin/organisations.js';
import associationRoutes from './routes/admin/associations.js';
import reviewRoutes from './routes/admin/reviews.js';
import releaseKeyRoutes from './routes/admin/release-keys.js';
import finiteNumbers from './plugins/app/finite-numbers.js';
import gracefulClose from './plugins/app/graceful-close.js';
import multipartPlugin, { fileKeyword } from './plugins/app/multipart.js';
import metricsPlugin, { createMetrics } from './plugins/app/metrics.js';
import notFound from './plugins/app/not-found.js';
import problemPlugin from './plugins/app/problem.js';
import hostileInput from './plugins/app/hostile-input.js';
import { lazySchemaCompilers } from './plugins/app/lazy-schemas.js';
import slowClients, { serverTimeouts } from './plugins/app/slow-clients.js';
import cookie from './plugins/external/cookie.js';
import securityHeaders from './plugins/external/helmet.js';
import consoleFiles from './plugins/external/static.js';
import { apiDocsPage, openApiDocument } from './plugins/external/swagger.js';
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
import patchJobRoutes from './routes/admin/patch-jobs.js';
import webhookRoutes from './routes/admin/webhooks.js';
import clientRoutes from './routes/client/resources.js';
import { GateFastPath } from './routes/client/resources-fast-path.js';
import { type BodyValidator, GatePipeline } from './routes/client/gate-pipeline.js';
import { openClientLimits } from './plugins/app/client-rate-limit.js';

export type { Services } from './services.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Kysely<Database>;
    services: Services;
    packageStore: PackageStore;
    gateFastPath: GateFastPath;
    /** Compiles every route schema not compiled yet (they compile on first use); @returns how many it compiled. */
    compileRouteSchemas(): number;
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
  clock?: ServiceOptions['clock'];
  /** Webhook delivery timing (tests make retries fast); by default the Standard Webhooks schedule, 10 s per attempt. */
  webhooks?: ServiceOptions['webhooks'];
  /** How often the autopilots are looked at (ms; tests make it short). */
  autopilotIntervalMs?: ServiceOptions['autopilotIntervalMs'];
  /** How often the scheduled rollout steps are looked at (ms; tests make it long to drive it by hand). */
  scheduledStepsIntervalMs?: ServiceOptions['scheduledStepsIntervalMs'];
  /** Whether this process makes the patches releases queue (default true; tests hold the queue to restart on it). */
  patchJobs?: boolean;
  /** Kysely plugins that see every query (tests count what start-up reads). */
  databasePlugins?: KyselyPlugin[];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Ajv's options, of every route's validators (and of the gate pipeline's, which its route shares). */
const AJV_OPTIONS = { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, allErrors: true }, plugins: [fileKeyword] };

/**
 * Every Fastify option. The HTTP server is made here so that the gate's fast path sees each request first (it
 * hands the rest to Fastify): `front` is asked per request for the handler in front of Fastify's own.
 */
function fastifyOptions(
  config: Config,
  options: BuildOptions,
  server: { fastify?: Handler; front?: Handler },
  compilersFactory: ReturnType<typeof lazySchemaCompilers>,
): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Belt and braces: the default serializers log no headers, but if anyone adds them, these stay hidden.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    genReqId: requestId,
    bodyLimit: 1024 * 1024,
    serverFactory: (handler) => {
      server.fastify = handler;
      // Slow clients (a body trickled a byte at a time) are cut off in seconds; large uploads at normal speed are not.
      const timeouts = serverTimeouts(config.maxPackageBytes);
      const http1 = http.createServer(timeouts.http, (req, res) => (server.front ?? handler)(req, res));
      http1.keepAliveTimeout = timeouts.keepAliveTimeout;
      http1.requestTimeout = timeouts.requestTimeout;
      http1.setTimeout(timeouts.connectionTimeout);
      return http1;
    },
    // Never the raw value: Fastify 5 would treat a hop count as "trust nothing" (see fastifyTrustProxy).
    trustProxy: fastifyTrustProxy(config.trustProxy),
    forceCloseConnections: false, // idle keep-alive connections are closed by the graceful-close plugin
    return503OnClosing: true,
    ajv: AJV_OPTIONS,
    // Each route's validators and serializers are compiled by its first request, not all at start-up.
    schemaController: { compilersFactory },
  };
}

/** The admin API: every route behind authentication (a session or an API token) and its role check. */
async function adminApi(api: FastifyInstance, opts: { services: Services; publicUrl: string }) {
  await api.register(authPlugin, {
    auth: opts.services.auth,
    publicOrigin: new URL(opts.publicUrl).origin,
    orgOfMiniProgram: (id) => opts.services.organisations.orgOfMiniProgram(id),
  });
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
  await api.register(patchJobRoutes);
  await api.register(webhookRoutes);
  await api.register(organisationRoutes);
  await api.register(associationRoutes);
  await api.register(reviewRoutes);
  await api.register(releaseKeyRoutes);
}

/**
 * The one place that assembles the server: the entry point and every test use it, so tests run what users run.
 * Opens the installation (installation.ts), makes the services (services.ts), registers every plugin and route.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const installation = await openInstallation(config, options.databasePlugins);
  const server: { fastify?: Handler; front?: Handler } = {};
  const schemas = lazySchemaCompilers();
  const app = Fastify(fastifyOptions(config, options, server, schemas)).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('compileRouteSchemas', () => schemas.compileAll());
  for (const message of installation.migrationWarnings) app.log.warn(message);
  if (installation.masterKey.generated) {
    app.log.warn(
      `generated the master key in ${installation.masterKey.source}: back it up now, apart from the database backups; without it the stored private keys cannot be used (or set MPOP_MASTER_KEY)`,
    );
  }

  const { services, close: closeServices } = createServices(config, installation, app.log, {
    clock: options.clock,
    webhooks: options.webhooks,
    autopilotIntervalMs: options.autopilotIntervalMs,
    scheduledStepsIntervalMs: options.scheduledStepsIntervalMs,
  });
  // The change channel's own connection (PostgreSQL: connect, LISTEN, the presence lock) is made while the plugins
  // load, not after: both must be there before the server answers (awaited below).
  const changesStarted = services.changes.start();
  changesStarted.catch(() => {});
  const metrics = createMetrics(config.metrics);
  const clientLimits = await openClientLimits(
    { ...config.rateLimits, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix },
    app.log,
  );
  // The gate's steps, made here once from their parts and given to its route and to its fast path (gate-pipeline.ts).
  // The body validator is compiled as Fastify compiles a route's (the same compilers and Ajv options); the route hands
  // Fastify this very function (its validatorCompiler), so both paths validate with one.
  const gatePipeline = new GatePipeline({
    gate: services.gate,
    parseJson: app.getDefaultJsonParser('error', 'error'),
    validate: schemas.buildValidator(
      {},
      AJV_OPTIONS,
    )({ schema: ResourcesRequestSchema, method: 'POST', url: RESOURCES_URL, httpPart: 'body' }) as BodyValidator,
    limits: clientLimits.limits,
    served: metrics?.served ?? (() => {}),
  });
  const gateFastPath = new GateFastPath(gatePipeline, app.log, requestId);
  gateFastPath.enabled = config.gateFastPath;
  if (server.fastify && gateFastPath.enabled) server.front = gateFastPath.handler(server.fastify);
  app.decorate('gateFastPath', gateFastPath);
  app.decorate('packageStore', installation.packageStore);
  app.decorate('config', config);
  app.decorate('db', installation.database.db);
  app.decorate('services', services);
  app.addHook('preClose', (done) => {
    gateFastPath.close();
    done();
  });
  app.addHook('onClose', async () => {
    await clientLimits.close();
    await closeServices();
    await installation.close();
  });
  // Set when the request arrives (a synchronous hook: no promise per request), so every answer carries them. nosniff
  // is the one security header that matters to answers read by apps (helmet's document headers are not sent there).
  app.addHook('onRequest', function requestHeaders(request, reply, done) {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    done();
  });

  await app.register(gracefulClose);
  await app.register(problemPlugin);
  await app.register(hostileInput);
  await app.register(slowClients);
  await app.register(finiteNumbers);
  await app.register(metricsPlugin, { metrics, token: config.metrics.token });
  await app.register(openApiDocument);
  // The client API, apart from the browser-facing scope below: its hot route runs none of that scope's hooks (security
  // headers, cookies, multipart), only its own (README, Architecture).
  await app.register(clientRoutes, { prefix: '/client/v1', pipeline: gatePipeline, fastPath: gateFastPath });
  await app.register(async (web) => {
    await web.register(securityHeaders, { https: config.publicUrl.startsWith('https://') });
    await web.register(cookie);
    await web.register(multipartPlugin);
    await web.register(apiDocsPage);
    await web.register(health);
    await web.register(adminApi, { prefix: '/api/v1', services, publicUrl: config.publicUrl });
    const serveConsole = fs.existsSync(path.join(config.consoleDir, 'index.html'));
    if (serveConsole) await web.register(consoleFiles, { root: config.consoleDir });
    await web.register(notFound, { serveConsole });
  });

  try {
    const started = await Promise.allSettled([changesStarted, app.ready()]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    services.events.start();
    services.webhookDispatcher.start();
    services.autopilot.start();
    // Steps whose time passed while no server ran are caught up now, then each within a second of its time.
    services.scheduledSteps.start();
    // Patches queued by releases (here or in a process that stopped before making them), in the background.
    if (options.patchJobs !== false) services.patches.start();
  } catch (err) {
    await app.close().catch(() => {}); // closes the database too (onClose)
    throw err;
  }
  // A process that stopped mid-job (crash, deploy) may have left signatures unmade: its jobs are resumed now, in the
  // background (only their scopes: nothing is read per host app).
  if (options.startupTasks !== false) {
    await services.signer
      .resumePending()
      .catch((err) => app.log.error({ err: { message: (err as Error).message } }, 'start-up signing check failed'));
  }
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
