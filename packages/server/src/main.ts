import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { buildApp, ensureFirstAdmin } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { connectDatabase, sqliteFile } from './db/connect.js';
import { migrateToLatest } from './db/migrations/index.js';
import { lockSqlite } from './db/sqlite-lock.js';
import { isChangeMessage } from './lib/cluster-ipc-transport.js';
import { PasswordHasher } from './lib/crypto.js';
import { limitHeapGrowth } from './lib/heap-growth.js';
import { stdoutDestination } from './lib/log-destination.js';
import { explainStartupError } from './startup-errors.js';
import { UserService } from './modules/auth/user.service.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 15_000;
/** How long unwritten log lines may hold up the exit once everything else is closed. */
const LOG_FLUSH_LIMIT_MS = 2_000;

/** Entry point: configuration from the environment, `MPOP_WORKERS` processes, graceful shutdown on SIGTERM/SIGINT. */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`mpop: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // Every process of a cluster: the primary too, which holds the workers' messages.
  limitHeapGrowth(config.heapGrowthPercent);
  if (config.workers > 1 && cluster.isPrimary) return primary(config);
  return serve(config, !cluster.isWorker || process.env.MPOP_WORKER_INDEX === '0');
}

/** One server process: the only one, or one worker of a cluster (`first` does the start-up chores). */
async function serve(config: Config, first: boolean) {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && Boolean(process.stdout.isTTY));
  const log = stdoutDestination({ pretty });
  const fail = async (err: unknown): Promise<never> => {
    const remedy = explainStartupError(err, config);
    console.error(`mpop: failed to start: ${remedy ?? (err instanceof Error ? err.message : String(err))}`);
    await log.flush(LOG_FLUSH_LIMIT_MS);
    process.exit(1);
  };

  const app = await buildApp(config, { logStream: log.stream, startupTasks: first }).catch(fail);
  try {
    if (first) await ensureFirstAdmin(app);
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close().catch(() => {});
    await fail(err);
  }
  if (first) {
    for (const warning of config.warnings) app.log.warn(warning);
    app.log.info(`mpop is ready: console ${config.publicUrl}/ , API docs ${config.publicUrl}/api/docs`);
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // Say what the shutdown waits for: an upload still arriving when the limit runs out is lost (the console says
    // so, and nothing of it is kept), so the operator knows whether to wait or to tell someone to send it again.
    const busy = app.requestsInFlight();
    app.log.info(
      { signal, inFlight: busy.length },
      busy.length === 0
        ? 'shutting down: no request in flight'
        : `shutting down: waiting up to ${SHUTDOWN_LIMIT_MS / 1000} s for ${busy.length} request${busy.length === 1 ? '' : 's'} in flight (${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ', …' : ''}); an upload not finished by then is lost and must be sent again`,
    );
    // Nothing below may block the event loop (see log-destination.ts), so this timer always gets to fire.
    const force = setTimeout(() => {
      console.error(`mpop: shutdown took longer than ${SHUTDOWN_LIMIT_MS / 1000} s; exiting`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    // Fastify stops accepting, waits for in-flight requests, then closes the database (onClose hooks).
    app.close().then(
      async () => {
        await log.flush(LOG_FLUSH_LIMIT_MS);
        process.exit(0);
      },
      async (err) => {
        app.log.error({ err }, 'error while shutting down');
        await log.flush(LOG_FLUSH_LIMIT_MS);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** A JSON log line in the shape of the workers' (pino) lines. */
function log(level: 'info' | 'warn' | 'error', msg: string, extra: Record<string, unknown> = {}) {
  const levels = { info: 30, warn: 40, error: 50 };
  const line = JSON.stringify({ level: levels[level], time: Date.now(), pid: process.pid, hostname: os.hostname(), ...extra, msg });
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}

/**
 * The primary of `MPOP_WORKERS=N`: holds the SQLite lock, migrates once, starts N workers that share the port
 * (node:cluster hands connections round-robin), relays changes between them (SQLite), restarts a worker that
 * crashes, and on SIGTERM/SIGINT lets every worker finish its requests before exiting.
 */
async function primary(config: Config) {
  const dbFile = sqliteFile(config.databaseUrl);
  const unlock = dbFile ? lockSqlite(dbFile) : () => {};
  // Migrations and the first admin are done here once, before any worker opens the database.
  const handle = connectDatabase(config.databaseUrl);
  try {
    await migrateToLatest(handle.db, handle.dialect, (message) => log('warn', message));
    if (
      await new UserService(handle.db, new PasswordHasher(config.passwordHashCost)).bootstrapAdmin(
        config.adminUsername,
        config.adminPassword,
      )
    )
      log('info', 'created the first admin from MPOP_ADMIN_USERNAME', { username: config.adminUsername });
  } finally {
    await handle.db.destroy();
  }

  let stopping = false;
  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  const stopAll = () => {
    for (const w of alive) w.process.kill('SIGTERM');
  };
  const fork = (index: number) => {
    const worker = cluster.fork({ MPOP_WORKER_INDEX: String(index) });
    alive.add(worker);
    worker.on('listening', () => listening.add(worker));
    worker.on('message', (message: unknown) => {
      if (!isChangeMessage(message)) return;
      for (const other of alive) if (other !== worker && other.isConnected()) other.send(message);
    });
    worker.on('exit', (code, signal) => {
      alive.delete(worker);
      const wasUp = listening.delete(worker);
      if (stopping) {
        if (alive.size === 0) {
          unlock();
          process.exit(0);
        }
        return;
      }
      if (!wasUp) {
        // It never came up (the database is unreachable, the port taken, ...): the others will not either.
        log('error', 'a worker failed to start; stopping (its error is above)', { worker: index, code });
        stopping = true;
        stopAll();
        unlock();
        process.exit(1);
      }
      log('warn', 'a worker exited; starting another', { worker: index, code, signal });
      fork(index);
    });
  };
  for (let i = 0; i < config.workers; i++) fork(i);
  log('info', `mpop primary: ${config.workers} worker processes on port ${config.port}`);
  for (const warning of config.warnings) log('warn', warning);

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down: the workers finish their in-flight requests', { signal });
    stopAll();
    setTimeout(() => {
      log('error', 'shutdown took longer than 20 s; exiting');
      unlock();
      process.exit(1);
    }, 20_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`mpop: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
