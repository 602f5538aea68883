import { buildApp, ensureFirstAdmin } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { stdoutDestination } from './lib/log-destination.js';
import { explainStartupError } from './lib/startup-errors.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 15_000;
/** How long unwritten log lines may hold up the exit once everything else is closed. */
const LOG_FLUSH_LIMIT_MS = 2_000;

/** Entry point: configuration from the environment, graceful shutdown on SIGTERM/SIGINT. */
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
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && Boolean(process.stdout.isTTY));
  const log = stdoutDestination({ pretty });
  const fail = async (err: unknown): Promise<never> => {
    const remedy = explainStartupError(err, config);
    console.error(`mpop: failed to start: ${remedy ?? (err instanceof Error ? err.message : String(err))}`);
    await log.flush(LOG_FLUSH_LIMIT_MS);
    process.exit(1);
  };

  const app = await buildApp(config, { logStream: log.stream }).catch(fail);
  try {
    await ensureFirstAdmin(app);
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close().catch(() => {});
    await fail(err);
  }
  app.log.info(`mpop is ready: console ${config.publicUrl}/ , API docs ${config.publicUrl}/api/docs`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
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

main().catch((err) => {
  console.error(`mpop: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
