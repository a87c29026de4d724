/**
 * Group membership benchmark (issue 6): the cost of a member PATCH and of
 * GET ?excludedAttributes=members on a 10-member group and on a big one, over HTTP.
 *
 * Usage:
 *
 *   npx tsx scripts/bench/groups.ts                               # 100,000 members, 50 requests/row
 *   npx tsx scripts/bench/groups.ts --members 10000 --requests 20 # a quicker run on FerretDB
 *   npx tsx scripts/bench/groups.ts --mongodb-uri mongodb://127.0.0.1:27017
 *
 * Flags:
 *   --members N        members of the big group (at least 20; default 100000)
 *   --requests R       measured requests per row, sequential (default 50)
 *   --warmup W         unmeasured requests per row first (default max(2, min(10, R/10)))
 *   --batch B          insertMany batch size for seeding (default 1000)
 *   --engine E         embedded database: auto | ferretdb | mongodb-memory-server (default auto)
 *   --mongodb-uri URI  use this server instead of a throwaway embedded one (own database, dropped at the end)
 *   --seed S           seed of the seeded users' data (default 42)
 *   --out FILE         where to write the JSON (default bench-results/groups-<timestamp>.json)
 *
 * What it does: starts a throwaway embedded database (or uses --mongodb-uri), starts Roster
 * in-process on 127.0.0.1 (port 0), creates an organization and a scim token over HTTP, seeds
 * N + 1 users with insertMany exactly as scripts/bench/lib/seed.ts shapes them, creates two
 * groups over HTTP ("bench-small" with 10 members, "bench-big" empty), then seeds the big
 * group's N memberships straight through the driver in batches, shaped as MembershipRepository
 * stores them ({_id: "<groupId>:<userId>", orgId, groupId, userId, created}). The last seeded user
 * is in no group: it is the one added and removed. Rows, on each group, one request at a time:
 *
 *   add (Okta)        PATCH {op:"add", path:"members", value:[{value:u}]}
 *   remove (Okta)     PATCH {op:"remove", path:"members[value eq \"u\"]"}
 *   add (Entra)       PATCH {op:"Add", path:"members", value:[{value:u}]}
 *   remove (Entra)    PATCH {op:"Remove", path:"members", value:[{value:u}]}
 *   GET excl members  GET /Groups/{id}?excludedAttributes=members
 *
 * Each add is followed by its remove (each timed on its own row), so the group is back to its
 * size after every pair. Output: a table (p50/p99 in ms per row and group, big/small p50 ratio;
 * targets: PATCH within 1.5x, GET as fast) and JSON in bench-results/. Loopback only; stops the
 * server and database and removes the temporary directory even on error or Ctrl-C.
 */
import { Cleanup, newScimOrganization, runBench, startBenchRoster } from './lib/harness.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Collection, Filter } from 'mongodb';
import type { UserRecord } from '../../src/store/user.repository.js';
import { membershipId, type MembershipRecord } from '../../src/store/membership.repository.js';
import { HttpError } from './lib/http.js';
import { seedUser, type SeedPlan } from './lib/seed.js';
import { fmtMs, measure, rng, type Summary } from './lib/stats.js';

const SCIM = '/scim/v2';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SMALL = 10;
const REQUEST_TIMEOUT_MS = 120_000;
const USAGE = 'groups.ts [--members N] [--requests R] [--warmup W] [--batch B] [--engine auto|ferretdb|mongodb-memory-server] [--mongodb-uri URI] [--seed S] [--out FILE]';

const log = (line: string) => process.stdout.write(`${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function int(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new Error(`--${name} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be >= ${min}, got ${text}`);
  return n;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      members: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      batch: { type: 'string' },
      engine: { type: 'string' },
      'mongodb-uri': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const engine = values.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'ferretdb' && engine !== 'mongodb-memory-server') throw new Error(`--engine must be auto, ferretdb or mongodb-memory-server`);
  const uri = values['mongodb-uri'];
  if (uri !== undefined && !/^mongodb(\+srv)?:\/\//.test(uri)) throw new Error('--mongodb-uri must be a mongodb:// or mongodb+srv:// URI');
  const requests = int('requests', values.requests, 50, 1);
  return {
    members: int('members', values.members, 100_000, 2 * SMALL),
    requests,
    warmup: int('warmup', values.warmup, Math.min(10, Math.max(2, Math.ceil(requests / 10))), 0),
    batch: int('batch', values.batch, 1000, 1),
    engine: engine as 'auto' | 'ferretdb' | 'mongodb-memory-server',
    mongodbUri: uri,
    seed: int('seed', values.seed, 42, 0),
    out: values.out,
    help: values.help === true,
  };
}

/** Loopback-only requests that lib/http.ts's JSON client does not make (PATCH, 204 answers). */
function rawClient(baseUrl: string, token: string) {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`the benchmark only talks to loopback, not ${baseUrl}`);
  return async (method: 'GET' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<number> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/scim+json, application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new HttpError(res.status, text, `${method} ${path}`);
    if (method === 'GET' && /"members"/.test(text)) throw new Error(`${path} returned members`);
    return res.status;
  };
}


interface Row {
  label: string;
  small: Summary;
  big: Summary;
  ratioP50: number;
  target: string;
  met: boolean;
}

async function main(cleanup: Cleanup): Promise<void> {
  const wallStart = performance.now();
  const args = parse(process.argv.slice(2));
  if (args.help) {
    log(USAGE);
    return;
  }
  const roster = await startBenchRoster(cleanup, {
    engine: args.engine,
    mongodbUri: args.mongodbUri,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    log,
  });
  const { config, store, embedded, dbName, serverName, baseUrl } = roster;
  log(`database: ${serverName} (${dbName}); big group ${args.members} members, small ${SMALL}; ${args.requests} requests/row, ${args.warmup} warm-up`);
  const { orgId, token, scim } = await newScimOrganization(roster, 'bench');
  const call = rawClient(baseUrl, token);
  log(`Roster listening on ${baseUrl}, organization ${orgId}`);

  // --- seed users (as lib/seed.ts), then the groups ---------------------------------------
  const db = store.connection.db!;
  const users = db.collection('users') as unknown as Collection<UserRecord>;
  const memberships = db.collection('memberships') as unknown as Collection<MembershipRecord>;
  const total = args.members + 1;
  const end = new Date();
  const plan: SeedPlan = { orgId, users: total, batch: args.batch, start: new Date(end.getTime() - 2 * 365 * 24 * 3600 * 1000), end };
  const random = rng(args.seed);
  const ids: string[] = [];
  const seedStart = performance.now();
  let lastReport = seedStart;
  const progress = (what: string, done: number, of: number) => {
    const now = performance.now();
    if (now - lastReport > 5000 || done === of) {
      lastReport = now;
      log(`  ${what} ${done}/${of} (${secs(now - seedStart)})`);
    }
  };
  for (let from = 0; from < total; from += args.batch) {
    const docs: UserRecord[] = [];
    for (let i = from; i < Math.min(total, from + args.batch); i += 1) docs.push(seedUser(plan, i, random));
    await users.insertMany(docs, { ordered: false });
    for (const d of docs) ids.push(d._id);
    progress('users', ids.length, total);
  }
  const usersMs = performance.now() - seedStart;
  const probe = ids[args.members]!;

  const small = await scim.post(`${SCIM}/Groups`, { schemas: [GROUP], displayName: 'bench-small', members: ids.slice(0, SMALL).map((value) => ({ value })) });
  const big = await scim.post(`${SCIM}/Groups`, { schemas: [GROUP], displayName: 'bench-big' });
  const smallId = String(small.id);
  const bigId = String(big.id);
  const memberStart = performance.now();
  const created = new Date();
  for (let from = 0; from < args.members; from += args.batch) {
    const docs: MembershipRecord[] = ids
      .slice(from, Math.min(args.members, from + args.batch))
      .map((userId) => ({ _id: membershipId(bigId, userId), orgId, groupId: bigId, userId, created }));
    await memberships.insertMany(docs, { ordered: false });
    progress('memberships', Math.min(args.members, from + args.batch), args.members);
  }
  const membershipsMs = performance.now() - memberStart;
  const stored = await memberships.countDocuments({ orgId, groupId: bigId } as Filter<MembershipRecord>);
  if (stored !== args.members) throw new Error(`seeded ${args.members} memberships but the collection holds ${stored}`);
  log(`seeding: ${total} users in ${secs(usersMs)}, ${args.members} memberships in ${secs(membershipsMs)}`);

  // --- rows ------------------------------------------------------------------------------
  const patch = (gid: string, op: Record<string, unknown>) => call('PATCH', `${SCIM}/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [op] });
  const shapes = {
    okta: {
      add: { op: 'add', path: 'members', value: [{ value: probe }] },
      remove: { op: 'remove', path: `members[value eq "${probe}"]` },
    },
    entra: {
      add: { op: 'Add', path: 'members', value: [{ value: probe }] },
      remove: { op: 'Remove', path: 'members', value: [{ value: probe }] },
    },
  };
  /** add and remove alternate; each is timed into its own row. */
  const pair = async (gid: string, shape: keyof typeof shapes): Promise<{ add: Summary; remove: Summary }> => {
    const addSamples: number[] = [];
    const removeSamples: number[] = [];
    const timed = async (into: number[] | null, op: Record<string, unknown>) => {
      const t0 = performance.now();
      await patch(gid, op);
      into?.push(performance.now() - t0);
    };
    for (let i = 0; i < args.warmup; i += 1) {
      await timed(null, shapes[shape].add);
      await timed(null, shapes[shape].remove);
    }
    const t0 = performance.now();
    for (let i = 0; i < args.requests; i += 1) {
      await timed(addSamples, shapes[shape].add);
      await timed(removeSamples, shapes[shape].remove);
    }
    const elapsed = performance.now() - t0;
    return { add: summarizeOf(addSamples, elapsed / 2), remove: summarizeOf(removeSamples, elapsed / 2) };
  };
  const get = (gid: string) => measure(args.requests, args.warmup, async () => void (await call('GET', `${SCIM}/Groups/${gid}?excludedAttributes=members`)));

  const results: Record<string, { small?: Summary; big?: Summary }> = {};
  for (const [gid, which] of [[smallId, 'small'], [bigId, 'big']] as const) {
    for (const shape of ['okta', 'entra'] as const) {
      const t0 = performance.now();
      const r = await pair(gid, shape);
      (results[`add (${shape})`] ??= {})[which] = r.add;
      (results[`remove (${shape})`] ??= {})[which] = r.remove;
      log(`  ${which} ${shape} add/remove: ${secs(performance.now() - t0)}`);
    }
    const t0 = performance.now();
    (results['GET excludedAttributes=members'] ??= {})[which] = await get(gid);
    log(`  ${which} GET: ${secs(performance.now() - t0)}`);
  }
  const after = await memberships.countDocuments({ orgId, groupId: bigId } as Filter<MembershipRecord>);
  if (after !== args.members) throw new Error(`the big group has ${after} members after the run, expected ${args.members}`);

  const rows: Row[] = Object.entries(results).map(([label, r]) => {
    const ratioP50 = r.big!.p50Ms / r.small!.p50Ms;
    const isGet = label.startsWith('GET');
    // "as fast": within measurement noise, taken as 1.2x.
    const limit = isGet ? 1.2 : 1.5;
    return { label, small: r.small!, big: r.big!, ratioP50, target: `<= ${limit}x`, met: ratioP50 <= limit };
  });
  const totalMs = performance.now() - wallStart;
  log('');
  log(renderTable(`Groups: ${SMALL} vs ${args.members} members, ${serverName}, ${args.requests} sequential requests/row (ms)`, rows));
  log(`total ${secs(totalMs)}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = resolve(args.out ?? join(config.projectRoot, 'bench-results', `groups-${stamp}.json`));
  mkdirSync(dirname(outFile), { recursive: true });
  const { mongodbUri, ...rest } = args;
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        benchmark: 'groups',
        at: new Date().toISOString(),
        args: { ...rest, mongodbUri: mongodbUri ? mongodbUri.replace(/\/\/[^@/]*@/, '//***@') : null },
        environment: {
          node: process.version,
          platform: `${process.platform} ${process.arch}`,
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          database: serverName,
          embedded: embedded?.engine ?? null,
        },
        groups: { small: { id: smallId, members: SMALL }, big: { id: bigId, members: args.members } },
        seed: { users: total, usersMs, memberships: args.members, membershipsMs, batch: args.batch },
        rows,
        totalMs,
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${outFile}`);
}

function summarizeOf(samples: number[], totalMs: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    requests: sorted.length,
    rps: totalMs > 0 ? (sorted.length * 1000) / totalMs : NaN,
    p50Ms: at(50),
    p99Ms: at(99),
    minMs: sorted[0] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    meanMs: sorted.length ? sum / sorted.length : NaN,
    totalMs,
  };
}

function renderTable(title: string, rows: Row[]): string {
  const head = ['request', 'small p50', 'small p99', 'big p50', 'big p99', 'big/small p50', 'target', ''];
  const body = rows.map((r) => [
    r.label,
    fmtMs(r.small.p50Ms),
    fmtMs(r.small.p99Ms),
    fmtMs(r.big.p50Ms),
    fmtMs(r.big.p99Ms),
    `${r.ratioP50.toFixed(2)}x`,
    r.target,
    r.met ? 'ok' : 'MISSED',
  ]);
  const widths = head.map((h, col) => Math.max(h.length, ...body.map((cells) => cells[col]!.length)));
  const line = (cells: string[]) => cells.map((c, col) => (col === 0 ? c.padEnd(widths[col]!) : c.padStart(widths[col]!))).join('  ');
  const rule = '-'.repeat(line(head).length);
  return [title, rule, line(head), rule, ...body.map(line), rule].join('\n');
}

await runBench('bench:groups', main);
