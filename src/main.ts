import { createServer } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { connectStore } from './store/connection.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './store/embedded-database.js';
import { createApp, createServices } from './app.js';
import { bootstrapIfEmpty } from './domain/bootstrap.js';
import { systemClock } from './domain/context.js';
import { recountAllSeats, startPurgeScheduler } from './domain/lifecycle.js';

/** load config → connect → listen → graceful shutdown */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let embedded: EmbeddedDatabase | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedDatabase({
      dataDir: config.dataDir,
      mode: config.embeddedDb,
      projectRoot: config.projectRoot,
      log: (message) => logger.info(message),
    });
    uri = embedded.uri;
    logger.info({ engine: embedded.engine, dataDir: config.dataDir }, 'embedded database started');
  }
  const store = await connectStore(uri, { dbName: 'roster' });
  logger.info({ server: store.capabilities.serverName }, 'database connected');

  const services = createServices({ config, store, logger, clock: systemClock });
  if (config.bootstrap && !config.operatorToken) {
    const boot = await bootstrapIfEmpty(store, systemClock, services.organizations, services.tokens);
    if (boot) {
      // Printed once, to the terminal only (never to the log stream): the secrets are not stored.
      process.stdout.write(
        [
          '',
          'Roster: created organization "default" on this empty database. These tokens are shown once:',
          `  SCIM token  (scope scim):  ${boot.scimToken.token}`,
          `  Admin token (scope admin): ${boot.adminToken.token}`,
          '',
        ].join('\n') + '\n',
      );
    }
  }

  // Repair seat counters a crash may have left high, then purge users past retention, hourly.
  await recountAllSeats(services.users, logger);
  const purge = startPurgeScheduler(services.users, { clock: systemClock, logger });
  // Bulk imports a stop or crash cut off are resumed (or marked failed) now, and swept for periodically.
  services.imports.start();
  // Lifecycle events: events a crash left in documents are relayed, and push delivery runs.
  services.events.start();

  const app = createApp({ config, store, logger, clock: systemClock }, services);
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ url: `http://${config.host}:${port}/scim/v2` }, 'Roster is listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    // Stop accepting, let requests in flight finish, then close the database.
    purge.stop();
    server.close();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    // Running imports save their checkpoint and release their job, so the next start resumes them at once.
    await services.imports.stop();
    await services.events.stop();
    // Self-service reset requests answered already but still sending.
    await services.passwordResets.settled();
    await store.close();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Roster failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
