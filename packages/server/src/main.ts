import { buildApp, ensureFirstAdmin } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';

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
  const app = await buildApp(config);
  await ensureFirstAdmin(app);
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`mpop is ready: console ${config.publicUrl}/ , API docs ${config.publicUrl}/api/docs`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    // Fastify stops accepting, waits for in-flight requests, then closes the database (onClose hooks).
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 15 s; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'error while shutting down');
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
