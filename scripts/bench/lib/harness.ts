/**
 * What every benchmark needs around its measurements: a throwaway database
 * (embedded, or its own database on --mongodb-uri), Roster in-process on
 * loopback with a random operator token, organizations with SCIM tokens,
 * and a cleanup that runs on success, error, Ctrl-C or SIGTERM with a time
 * limit per step, so a hung query cannot keep a run alive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { connectStore, type Store } from '../../../src/store/connection.js';
import { startEmbeddedDatabase, type EmbeddedDatabase, type EmbeddedMode } from '../../../src/store/embedded-database.js';
import { createApp, createServices, type Services } from '../../../src/app.js';
import { jsonClient, type JsonClient } from './http.js';

const CLEANUP_STEP_MS = 15_000;

type Step = { what: string; run: () => Promise<void> | void };

export class Cleanup {
  private readonly steps: Step[] = [];
  private done: Promise<void> | undefined;

  add(what: string, run: () => Promise<void> | void): void {
    this.steps.push({ what, run });
  }

  private static bounded(step: Step): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`timed out after ${CLEANUP_STEP_MS / 1000} s`)), CLEANUP_STEP_MS);
    });
    return Promise.race([Promise.resolve().then(step.run), limit]).finally(() => clearTimeout(timer));
  }

  /** Runs the steps in reverse order, once, however often it is called. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await Cleanup.bounded(step);
        } catch (err) {
          process.stderr.write(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
    })();
    return this.done;
  }
}

/** Runs a benchmark's main with cleanup on every exit path; exits 0, 1 on failure, 130 on a signal. */
export async function runBench(name: string, main: (cleanup: Cleanup) => Promise<void>): Promise<never> {
  const cleanup = new Cleanup();
  let exiting = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (exiting) return;
      exiting = true;
      process.stderr.write(`\n${signal}: cleaning up\n`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  let code = 0;
  try {
    await main(cleanup);
  } catch (err) {
    code = 1;
    process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  } finally {
    await cleanup.run();
  }
  process.exit(code);
}

export interface BenchRoster {
  config: Config;
  store: Store;
  embedded: EmbeddedDatabase | undefined;
  dbName: string;
  serverName: string;
  baseUrl: string;
  /** A client with the run's operator token. */
  operator: JsonClient;
  requestTimeoutMs: number;
  /** The in-process services (the events benchmark starts the event worker). */
  services: Services;
}

export interface BenchRosterOptions {
  engine: EmbeddedMode;
  mongodbUri?: string | undefined;
  requestTimeoutMs: number;
  log: (line: string) => void;
}

/** The database and Roster, each registered with the cleanup as soon as it exists. */
export async function startBenchRoster(cleanup: Cleanup, opts: BenchRosterOptions): Promise<BenchRoster> {
  const operatorToken = `bench-operator-${randomBytes(16).toString('hex')}`;
  // An empty environment: the run does not depend on the shell's ROSTER_* or MONGODB_URI.
  const config = loadConfig({}, { ROSTER_OPERATOR_TOKEN: operatorToken, LOG_LEVEL: 'silent', ROSTER_BOOTSTRAP: false, ROSTER_RATE_LIMIT_PER_SECOND: 0, ROSTER_AUTH_FAILURES_PER_MINUTE: 0 });

  let uri = opts.mongodbUri;
  let embedded: EmbeddedDatabase | undefined;
  const dbName = `roster_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  if (!uri) {
    const dataDir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
    cleanup.add(`remove ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true }));
    const t0 = performance.now();
    const db = await startEmbeddedDatabase({
      dataDir,
      mode: opts.engine,
      projectRoot: config.projectRoot,
      ephemeral: true,
      log: (m) => opts.log(`  ${m}`),
    });
    embedded = db;
    cleanup.add('stop the embedded database', () => db.stop());
    uri = db.uri;
    opts.log(`embedded ${db.engine} started in ${((performance.now() - t0) / 1000).toFixed(1)} s (data in ${dataDir})`);
  }
  const store = await connectStore(uri, { dbName, ...(embedded?.postgresUrl ? { postgresUrl: embedded.postgresUrl } : {}) });
  cleanup.add('close the database connection', async () => {
    if (!embedded) await store.connection.db?.dropDatabase().catch(() => undefined);
    // Forced: a query still running (Ctrl-C mid-row) must not hold the close.
    await store.connection.close(true);
  });

  const logger = createLogger('silent');
  const services = createServices({ config, store, logger });
  const app = createApp({ config, store, logger }, services);
  const server = createServer(app);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  cleanup.add('stop the HTTP server', () => {
    server.closeAllConnections();
    return new Promise<void>((ok) => server.close(() => ok()));
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the HTTP server has no address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    config,
    store,
    embedded,
    dbName,
    serverName: store.capabilities.serverName,
    baseUrl,
    operator: jsonClient(baseUrl, operatorToken, opts.requestTimeoutMs),
    requestTimeoutMs: opts.requestTimeoutMs,
    services,
  };
}

/** A new organization with a SCIM token, through the operator API. */
export async function newScimOrganization(
  roster: BenchRoster,
  name: string,
): Promise<{ orgId: string; token: string; scim: JsonClient }> {
  const org = await roster.operator.post('/api/v1/organizations', { name: `${name}-${Date.now()}` });
  const orgId = String(org.id);
  const issued = await roster.operator.post(`/api/v1/organizations/${orgId}/tokens`, { name, scopes: ['scim'] });
  const token = String(issued.token);
  return { orgId, token, scim: jsonClient(roster.baseUrl, token, roster.requestTimeoutMs) };
}
