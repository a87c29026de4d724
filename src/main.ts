import { createServer } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { connectStore } from './store/connection.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './store/embedded-database.js';
import { createApp, createServices } from './app.js';
import { bootstrapIfEmpty } from './domain/bootstrap.js';
import { systemClock } from './domain/context.js';
import { recountAllSeats, startPurgeScheduler } from './domain/lifecycle.js';
import { Metrics } from './metrics.js';
import { WriterLease, WriterLeaseHeld } from './store/writer-lease.js';

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
      onFault: (message) => logger.error(message),
    });
    uri = embedded.uri;
    logger.info({ engine: embedded.engine, dataDir: config.dataDir }, 'embedded database started');
  }
  // The database named in MONGODB_URI's path (mongodb://host/name), else "roster".
  const store = await connectStore(uri, {
    dbName: databaseName(uri) ?? 'roster',
    ...(embedded?.postgresUrl ? { postgresUrl: embedded.postgresUrl } : {}),
    onIndexError: (err) => logger.error({ err }, 'index upkeep on the embedded PostgreSQL failed'),
  });
  logger.info({ server: store.capabilities.serverName }, 'database connected');

  // FerretDB 1.x: one Roster process per database (src/store/writer-lease.ts); a second one stops here.
  let lease: WriterLease | undefined;
  if (!store.capabilities.atomicConditionalUpdates) {
    try {
      lease = await WriterLease.acquire(store, {
        onLost: (reason) => {
          logger.fatal({ reason }, 'writer lease lost: stopping so that two processes never write at once');
          process.kill(process.pid, 'SIGTERM');
        },
      });
    } catch (err) {
      await store.close();
      await embedded?.stop();
      if (err instanceof WriterLeaseHeld) {
        process.stderr.write(`Roster refuses to start: ${err.message}\n`);
        process.exit(75); // EX_TEMPFAIL
      }
      throw err;
    }
    logger.info({ engine: store.capabilities.serverName }, 'writer lease taken: this process is the database\'s only writer');
  }

  // Process metrics (CPU, memory, event loop) only here: one registry per process that serves.
  const metrics = new Metrics();
  const services = createServices({ config, store, logger, clock: systemClock, metrics });
  /** The console's first-administrator link: issued with the bootstrap, renewed on each start until used. */
  let setupSecret: string | undefined;
  if (config.bootstrap && !config.operatorToken) {
    const boot = await bootstrapIfEmpty(systemClock, services.organizations, services.tokens);
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
      setupSecret = await services.consoleSetup.issue(boot.organizationId);
    } else {
      setupSecret = await services.consoleSetup.renewIfPending();
    }
  }

  // Repair seat counters a crash may have left high, then purge users past retention, hourly.
  await recountAllSeats(services.users, logger);
  // Lower-cased shadow keys (docs/architecture.md "Case rules") for users stored before they existed.
  const backfilled = await services.users.backfillCaseKeys();
  if (backfilled > 0) logger.info({ users: backfilled }, 'case-insensitive filter keys written');
  const purge = startPurgeScheduler(services.users, { clock: systemClock, logger });
  // Bulk imports a stop or crash cut off are resumed (or marked failed) now, and swept for periodically.
  services.imports.start();
  // Lifecycle events: events a crash left in documents are relayed, and push delivery runs.
  services.events.start();

  const lifecycle = { stopping: false };
  const app = createApp({ config, store, logger, clock: systemClock, metrics, lifecycle }, services);
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ url: `http://${config.host}:${port}/scim/v2` }, 'Roster is listening');
  const publicBase = config.baseUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  if (setupSecret) {
    // To the terminal only, like the tokens: the link is the credential for the first administrator.
    process.stdout.write(
      [
        `Console: ${publicBase}/admin/`,
        'Open this one-time link to choose the first administrator\'s email and password',
        '(until it is used, each start prints a new one and the previous one stops working):',
        `  ${publicBase}/admin/#/setup/${setupSecret}`,
        '',
      ].join('\n') + '\n',
    );
  } else {
    logger.info({ url: `${publicBase}/admin/` }, 'console');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out');
      process.exit(1);
    }, config.readinessDrainMs + config.shutdownGraceMs);
    force.unref();
    // Readiness answers 503 first, while the listener still serves, so load balancers stop sending
    // before connections are refused; then stop accepting, finish requests in flight, close the database.
    lifecycle.stopping = true;
    if (config.readinessDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.readinessDrainMs));
    purge.stop();
    server.close();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    // Running imports save their checkpoint and release their job, so the next start resumes them at once.
    await services.imports.stop();
    await services.events.stop();
    // Self-service reset requests answered already but still sending.
    await services.passwordResets.settled();
    await lease?.release().catch(() => undefined);
    await store.close();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function databaseName(uri: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]+)/.exec(uri)?.[1];
  return name ? decodeURIComponent(name) : undefined;
}

main().catch((err: unknown) => {
  process.stderr.write(`Roster failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
