import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mongoose from 'mongoose';

/**
 * The embedded database: a real MongoDB-wire server that the project starts
 * on loopback when no MONGODB_URI is given. mongodb-memory-server where its
 * MongoDB binary can be had; otherwise FerretDB 1.x on SQLite, built by
 * scripts/db/ensure-ferretdb.mjs. Never a mock of the driver.
 */

export type EmbeddedEngine = 'ferretdb' | 'mongodb';

export interface EmbeddedDatabase {
  readonly uri: string;
  readonly engine: EmbeddedEngine;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the data lives; a subdirectory per engine. */
  dataDir: string;
  mode: 'auto' | 'ferretdb' | 'mongodb-memory-server';
  projectRoot: string;
  /** Called with one line of progress at a time. */
  log?: (message: string) => void;
}

const FERRETDB_VERSION = 'v1.24.2';

export function ferretdbBinary(projectRoot: string): string {
  return join(projectRoot, '.tools', `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');
}

function hasData(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

export async function startEmbeddedDatabase(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  const ferretDir = join(opts.dataDir, 'ferretdb');
  const mongoDir = join(opts.dataDir, 'mongodb');
  if (opts.mode === 'ferretdb') return startFerretdb(opts.projectRoot, ferretDir);
  if (opts.mode === 'mongodb-memory-server') return startMongoMemoryServer(mongoDir);
  // Auto: stay with the engine that already holds this data directory, so data survives a restart
  // even when mongodb-memory-server becomes (un)available between two runs.
  if (hasData(ferretDir)) return startFerretdb(opts.projectRoot, ferretDir);
  if (!(await mongoBinaryObtainable())) {
    log('no MongoDB binary is cached and its download host does not resolve; using FerretDB');
    return startFerretdb(opts.projectRoot, ferretDir);
  }
  try {
    return await startMongoMemoryServer(mongoDir);
  } catch (err) {
    log(`mongodb-memory-server is not available here (${err instanceof Error ? err.message : String(err)}); using FerretDB`);
    return startFerretdb(opts.projectRoot, ferretDir);
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

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function startFerretdb(projectRoot: string, dataDir: string): Promise<EmbeddedDatabase> {
  const binary = ferretdbBinary(projectRoot);
  if (!existsSync(binary)) {
    throw new Error(
      `FerretDB is not installed at ${binary}: run "node scripts/db/ensure-ferretdb.mjs" (needs Go), or set MONGODB_URI`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, 'ferretdb.pid');
  await stopLeftover(pidFile, dataDir);
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      // The debug listener is not needed and its fixed default port would clash between two instances.
      '--debug-addr=-',
      '--telemetry=disable',
      `--state-dir=${dataDir}`,
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (child.pid) writeFileSync(pidFile, String(child.pid));
  child.once('exit', () => {
    // Only our own: a newer FerretDB on this directory may have written its pid since.
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(child.pid)) rmSync(pidFile, { force: true });
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
  await waitUntilReady(uri, child, () => stderr);
  return {
    uri,
    engine: 'ferretdb',
    stop: () => stopChild(child),
  };
}

/**
 * A FerretDB left running on this data directory by a process that was killed (kill -9 leaves no
 * chance to stop it) would share the SQLite files with the new one. It is stopped first, but only
 * when /proc confirms the pid is a FerretDB serving this directory, never a process that reused it.
 */
async function stopLeftover(pidFile: string, dataDir: string): Promise<void> {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !cmdline.includes('ferretdb') || !cmdline.includes(`file:${dataDir}/`)) return;
  // Its parent still running (and not this process) is another Roster serving this directory now:
  // stopping its database would break it, and sharing the files would be worse. Refuse to start.
  const parent = parentOf(pid);
  if (parent !== undefined && parent !== process.pid && isNode(parent)) {
    throw new Error(
      `another process (pid ${parent}) is running FerretDB (pid ${pid}) on ${dataDir}: stop it, or give this one another ROSTER_DATA_DIR`,
    );
  }
  const alive = (): boolean => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive() && waited < 5000; waited += 50) {
    // Another process is exiting: there is nothing to await on but its disappearance.
    await new Promise((r) => setTimeout(r, 50));
  }
  if (alive()) process.kill(pid, 'SIGKILL');
}

/** Whether a running process is Node (a Roster), not init or a container's reaper adopting orphans. */
function isNode(pid: number): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return /(^|\/)node(js)?$/.test(argv0);
  } catch {
    return false;
  }
}

/** The parent pid of a running process, from /proc; undefined when it is gone (or a zombie). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
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
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}
