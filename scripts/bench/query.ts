/**
 * Query benchmark (issue 3 item 7): Roster's SCIM list/filter endpoints over HTTP
 * against the same lookups made directly with the MongoDB driver on the same
 * collection, in one run.
 *
 * Usage:
 *
 *   npm run bench:query                                        # defaults for the engine (below)
 *   npm run bench:query -- --users 10000 --requests 5          # quick run on FerretDB (~5 min on 2 cores)
 *   npm run bench:query -- --mongodb-uri mongodb://127.0.0.1:27017 --users 100000 --requests 200
 *
 * Flags:
 *   --users N          users to seed (at least 200); default 100000 on MongoDB, 10000 on FerretDB
 *   --requests R       measured requests per row, sequential; default 200 on MongoDB, 6 on FerretDB
 *   --warmup W         unmeasured requests per row first (default max(2, min(10, R/10)))
 *   --batch B          insertMany batch size for seeding (default 1000)
 *   --engine E         embedded database: auto | ferretdb | mongodb-memory-server
 *                      (default auto, as `npm start`); ignored with --mongodb-uri
 *   --mongodb-uri URI  use this server instead of a throwaway embedded one; the run
 *                      gets its own database (roster_bench_<time>), dropped at the end
 *   --seed S           seed of the random picks (default 42)
 *   --out FILE         where to write the JSON (default bench-results/query-<timestamp>.json)
 *
 * The shell's MONGODB_URI and ROSTER_* variables are ignored (the run is self-contained).
 *
 * What it does: starts a throwaway embedded database in a temporary directory
 * (or uses --mongodb-uri), starts Roster in-process (createApp + node:http on
 * 127.0.0.1, port 0) with a random operator token, creates an organization and a
 * scim token through the HTTP API, seeds N users directly with insertMany
 * (records built by parseUserResource + recordFieldsFrom, status active,
 * version 1, created spread over two years in seed order, lastModified between
 * created and now, one work email, externalId, displayName), then for each row
 * runs W warm-up and R measured requests one after the other, first through
 * Roster, then the same lookup with the driver:
 *
 *   userName eq        filter=userName eq "<random user>"        driver: find({orgId, userNameKey, status $ne deleted})
 *   externalId eq      filter=externalId eq "<random user>"      driver: find({orgId, externalId, status $ne deleted})
 *   displayName co     filter=displayName co "<substring>" count=100          driver: filterToMongo, same sort and limit
 *   compliance         filter=active eq true and meta.lastModified lt "<date>" and emails[type eq "work"] count=100
 *   index page 1       startIndex=1&count=100                    driver: sort(created,_id).limit(100)
 *   index page 500     startIndex=49901&count=100                driver: .skip(49900).limit(100)
 *   cursor page 1      cursor=&count=100 (RFC 9865)              driver: sort(created,_id).limit(100)
 *   cursor page 500    cursor=<nextCursor at item 49901>         driver: keyset {created,_id} > last key of page 499
 *
 * The deep page is page 500, or the last full page when there are fewer than
 * 50,000 users. When the server gives no nextCursor (cursor pagination not
 * there yet), the cursor rows print "n/a". Roster's list also counts the matches
 * (totalResults); the driver baseline does only the find.
 *
 * Output: a plain-text table (requests/s, p50 and p99 in ms for Roster and the
 * driver, and Roster p50 / driver p50) and JSON in bench-results/ (gitignored).
 * Only loopback traffic; it stops by itself, removes the database process and
 * temporary directory even on error or Ctrl-C, and exits non-zero on failure.
 *
 * Runtime: FerretDB 1.x on SQLite does not push these queries down: every
 * find or count that sorts or filters reads and decodes the organization's
 * whole collection in Go (measured on 2 busy cores: about 1.5-2 s per query at
 * 10,000 users, and Roster runs a count and a find per list request). So on
 * FerretDB the defaults are 10,000 users and 6 requests per row (about 8 min);
 * 100,000 users there costs roughly ten times as much per request. On MongoDB
 * (mongodb-memory-server or --mongodb-uri) the defaults are 100,000 and 200.
 * Reaching the deep cursor page follows nextCursor with count=maxPageSize, then
 * count=100 (a cursor is bound to filter and sort, not to count); that walk is
 * timed separately and not part of the rows.
 */
import { Cleanup, newScimOrganization, runBench, startBenchRoster } from './lib/harness.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Collection, Filter, Sort } from 'mongodb';
import { sortToMongo } from '../../src/scim/filter.js';
import { filterToMongo } from '../../src/store/filter-query.js';
import type { UserRecord } from '../../src/store/user.repository.js';
import { parseBenchArgs, type BenchArgs } from './lib/args.js';
import type { JsonClient } from './lib/http.js';
import { FAMILY, externalIdOf, seedUsers, userNameOf, type SeedPlan } from './lib/seed.js';
import { fmtMs, fmtRate, measure, rng, type Summary } from './lib/stats.js';

/** Defaults by engine: FerretDB 1.x scans the collection on every query (see the header). */
const DEFAULTS = {
  mongodb: { users: 100_000, requests: 200 },
  ferretdb: { users: 10_000, requests: 6 },
} as const;
const PAGE = 100;
const DEEP_PAGE = 500;
const REQUEST_TIMEOUT_MS = 120_000;
const SCIM = '/scim/v2';

const USAGE = (process.argv[1] ?? 'query.ts') + ' [--users N] [--requests R] [--warmup W] [--batch B] [--engine auto|ferretdb|mongodb-memory-server] [--mongodb-uri URI] [--seed S] [--out FILE]';

interface RowResult {
  key: string;
  label: string;
  roster: Summary | null;
  baseline: Summary | null;
  /** Roster p50 / driver p50 */
  ratioP50: number | null;
  note?: string;
}

interface Resources {
  totalResults?: number;
  Resources?: { id: string; userName: string }[];
  nextCursor?: string;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Everything to undo, in reverse order; run once, on success, error or signal. */
async function main(cleanup: Cleanup): Promise<void> {
  const wallStart = performance.now();
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (parsed.help) {
    log(USAGE);
    return;
  }
  const roster = await startBenchRoster(cleanup, {
    engine: parsed.engine,
    mongodbUri: parsed.mongodbUri,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    log,
  });
  const { config, store, embedded, dbName, serverName, baseUrl } = roster;
  const defaults = serverName.startsWith('FerretDB') ? DEFAULTS.ferretdb : DEFAULTS.mongodb;
  const requests = parsed.requests ?? defaults.requests;
  const args = {
    ...parsed,
    users: parsed.users ?? defaults.users,
    requests,
    warmup: parsed.warmup ?? Math.min(10, Math.max(2, Math.ceil(requests / 10))),
  };
  log(`database: ${serverName}, database name ${dbName}; ${args.users} users, ${args.requests} requests/row, ${args.warmup} warm-up`);
  const { orgId, scim } = await newScimOrganization(roster, 'bench');
  log(`Roster listening on ${baseUrl}, organization ${orgId}`);

  // --- seed -------------------------------------------------------------------
  const users = store.connection.db!.collection('users') as unknown as Collection<UserRecord>;
  const end = new Date();
  const plan: SeedPlan = {
    orgId,
    users: args.users,
    batch: args.batch,
    start: new Date(end.getTime() - 2 * 365 * 24 * 3600 * 1000),
    end,
  };
  const seedStart = performance.now();
  let lastReport = seedStart;
  await seedUsers(users, plan, rng(args.seed), (done) => {
    const now = performance.now();
    if (now - lastReport > 5000 || done === plan.users) {
      lastReport = now;
      log(`  seeded ${done}/${plan.users} (${secs(now - seedStart)})`);
    }
  });
  const seedMs = performance.now() - seedStart;
  const stored = await users.countDocuments({ orgId } as Filter<UserRecord>);
  if (stored !== args.users) throw new Error(`seeded ${args.users} users but the collection holds ${stored}`);
  log(`seeding: ${args.users} users in ${secs(seedMs)} (${Math.round((args.users * 1000) / seedMs)} users/s)`);

  // --- rows ---------------------------------------------------------------------
  const pick = rng(args.seed + 1);
  const anyUser = () => Math.floor(pick() * args.users);
  const deepPage = Math.max(2, Math.min(DEEP_PAGE, Math.floor(args.users / PAGE)));
  const deepSkip = (deepPage - 1) * PAGE;
  const scope = (q: Record<string, unknown>) => ({ $and: [{ orgId }, { status: { $ne: 'deleted' } }, q] }) as Filter<UserRecord>;
  const defaultSort = sortToMongo(undefined, undefined, 'User') as Sort;
  const q = (params: Record<string, string | number>) =>
    `${SCIM}/Users?${Object.entries(params)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
      .join('&')}`;
  const find = (filter: Filter<UserRecord>, skip: number, limit: number) =>
    users.find(filter).sort(defaultSort).skip(skip).limit(limit).toArray();
  const expectOne = (body: Resources, userName: string, what: string) => {
    if (body.totalResults !== 1 || body.Resources?.[0]?.userName !== userName) {
      throw new Error(`${what}: expected exactly ${userName}, got totalResults=${String(body.totalResults)}`);
    }
  };
  const expectPage = (got: { userName: string }[] | undefined, firstIndex: number, what: string) => {
    if (got?.length !== PAGE || got[0]?.userName !== userNameOf(firstIndex)) {
      throw new Error(`${what}: expected ${PAGE} users from ${userNameOf(firstIndex)}, got ${got?.length ?? 0} from ${got?.[0]?.userName ?? 'none'}`);
    }
  };
  const substring = () => {
    const family = FAMILY[Math.floor(pick() * FAMILY.length)]!;
    return family.slice(1, 5);
  };
  const cutoff = () => new Date(plan.start.getTime() + (0.25 + pick() * 0.5) * (plan.end.getTime() - plan.start.getTime())).toISOString();
  const complianceFilter = (iso: string) => `active eq true and meta.lastModified lt "${iso}" and emails[type eq "work"]`;

  interface RowSpec {
    key: string;
    label: string;
    roster: ((c: JsonClient) => Promise<void>) | null;
    baseline: () => Promise<void>;
    note?: string;
  }
  const rows: RowSpec[] = [
    {
      key: 'userName-eq',
      label: 'userName eq',
      roster: async (c) => {
        const u = userNameOf(anyUser());
        expectOne((await c.get(q({ filter: `userName eq "${u}"` }))) as Resources, u, 'userName eq');
      },
      baseline: async () => {
        const u = userNameOf(anyUser());
        const found = await find({ orgId, userNameKey: u.toLowerCase(), status: { $ne: 'deleted' } } as Filter<UserRecord>, 0, PAGE);
        if (found.length !== 1) throw new Error(`driver userName lookup found ${found.length}`);
      },
    },
    {
      key: 'externalId-eq',
      label: 'externalId eq',
      roster: async (c) => {
        const i = anyUser();
        expectOne((await c.get(q({ filter: `externalId eq "${externalIdOf(i)}"` }))) as Resources, userNameOf(i), 'externalId eq');
      },
      baseline: async () => {
        const found = await find({ orgId, externalId: externalIdOf(anyUser()), status: { $ne: 'deleted' } } as Filter<UserRecord>, 0, PAGE);
        if (found.length !== 1) throw new Error(`driver externalId lookup found ${found.length}`);
      },
    },
    {
      key: 'displayName-co',
      label: 'displayName co (count=100)',
      roster: async (c) => {
        const body = (await c.get(q({ filter: `displayName co "${substring()}"`, count: PAGE }))) as Resources;
        if (!body.Resources?.length) throw new Error('displayName co matched nothing');
      },
      baseline: async () => {
        const found = await find(scope(filterToMongo(`displayName co "${substring()}"`, 'User')), 0, PAGE);
        if (!found.length) throw new Error('driver displayName co matched nothing');
      },
    },
    {
      key: 'compliance',
      label: 'active+lastModified+emails (count=100)',
      roster: async (c) => {
        const body = (await c.get(q({ filter: complianceFilter(cutoff()), count: PAGE }))) as Resources;
        if (!body.Resources?.length) throw new Error('compliance filter matched nothing');
      },
      baseline: async () => {
        const found = await find(scope(filterToMongo(complianceFilter(cutoff()), 'User')), 0, PAGE);
        if (!found.length) throw new Error('driver compliance filter matched nothing');
      },
    },
    {
      key: 'index-page-1',
      label: 'index page 1',
      roster: async (c) => expectPage(((await c.get(q({ startIndex: 1, count: PAGE }))) as Resources).Resources, 0, 'index page 1'),
      baseline: async () => expectPage(await find(scope({}), 0, PAGE), 0, 'driver page 1'),
    },
    {
      key: 'index-page-deep',
      label: `index page ${deepPage}`,
      roster: async (c) =>
        expectPage(((await c.get(q({ startIndex: deepSkip + 1, count: PAGE }))) as Resources).Resources, deepSkip, `index page ${deepPage}`),
      baseline: async () => expectPage(await find(scope({}), deepSkip, PAGE), deepSkip, `driver page ${deepPage}`),
    },
  ];

  // Cursor pagination (RFC 9865): available when the first page carries nextCursor.
  let cursorNote: string | undefined;
  let deepCursor: string | undefined;
  let cursorWalkMs: number | undefined;
  try {
    const first = (await scim.get(q({ cursor: '', count: PAGE }))) as Resources;
    if (typeof first.nextCursor !== 'string' || !first.nextCursor) {
      cursorNote = 'n/a (cursor pagination not available)';
    } else {
      expectPage(first.Resources, 0, 'cursor page 1');
      // The cursor is bound to the filter and sort, not to count: walk in pages of maxPageSize, then of PAGE.
      const big = Math.max(PAGE, Math.floor(config.maxPageSize / PAGE) * PAGE);
      log(`following nextCursor to item ${deepSkip + 1} (page ${deepPage}) in steps of ${big}, then ${PAGE}...`);
      const t0 = performance.now();
      let next: string = first.nextCursor;
      let position = PAGE;
      let steps = 0;
      while (position < deepSkip) {
        const step = deepSkip - position >= big ? big : PAGE;
        const body = (await scim.get(q({ cursor: next, count: step }))) as Resources;
        if (typeof body.nextCursor !== 'string') throw new Error(`no nextCursor at item ${position + 1}`);
        if (body.Resources?.[0]?.userName !== userNameOf(position)) throw new Error(`cursor walk: item ${position + 1} is not ${userNameOf(position)}`);
        next = body.nextCursor;
        position += step;
        steps += 1;
        if (steps % 10 === 0) log(`  at item ${position} (${secs(performance.now() - t0)})`);
      }
      deepCursor = next;
      cursorWalkMs = performance.now() - t0;
      log(`  reached page ${deepPage} in ${steps} requests, ${secs(cursorWalkMs)}`);
    }
  } catch (err) {
    cursorNote = `n/a (cursor pagination not available: ${err instanceof Error ? err.message.slice(0, 120) : String(err)})`;
  }
  // The keyset of the driver's deep page: the sort key of the last user of the page before.
  const [beforeDeep] = await find(scope({}), deepSkip - 1, 1);
  if (!beforeDeep) throw new Error('cannot find the last user before the deep page');
  const keyset = scope({
    $or: [{ created: { $gt: beforeDeep.created } }, { created: beforeDeep.created, _id: { $gt: beforeDeep._id } }],
  });
  rows.push(
    {
      key: 'cursor-page-1',
      label: 'cursor page 1',
      roster: deepCursor
        ? async (c) => expectPage(((await c.get(q({ cursor: '', count: PAGE }))) as Resources).Resources, 0, 'cursor page 1')
        : null,
      baseline: async () => expectPage(await find(scope({}), 0, PAGE), 0, 'driver first keyset page'),
      ...(cursorNote ? { note: cursorNote } : {}),
    },
    {
      key: 'cursor-page-deep',
      label: `cursor page ${deepPage}`,
      roster: deepCursor
        ? async (c) =>
            expectPage(((await c.get(q({ cursor: deepCursor, count: PAGE }))) as Resources).Resources, deepSkip, `cursor page ${deepPage}`)
        : null,
      baseline: async () => expectPage(await find(keyset, 0, PAGE), deepSkip, `driver keyset page ${deepPage}`),
      ...(cursorNote ? { note: cursorNote } : {}),
    },
  );

  // --- measure ------------------------------------------------------------------
  log(`measuring: ${args.requests} requests per row after ${args.warmup} warm-up, sequential`);
  const results: RowResult[] = [];
  for (const row of rows) {
    const t0 = performance.now();
    const roster = row.roster ? await measure(args.requests, args.warmup, () => row.roster!(scim)) : null;
    const baseline = await measure(args.requests, args.warmup, () => row.baseline());
    const ratioP50 = roster && baseline.p50Ms > 0 ? roster.p50Ms / baseline.p50Ms : null;
    results.push({ key: row.key, label: row.label, roster, baseline, ratioP50, ...(row.note ? { note: row.note } : {}) });
    log(`  ${row.label}: done in ${secs(performance.now() - t0)}`);
  }

  // --- report -------------------------------------------------------------------
  const byKey = new Map(results.map((r) => [r.key, r]));
  const p50 = (key: string) => byKey.get(key)?.roster?.p50Ms;
  const over = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : null);
  const derived = {
    cursorDeepOverFirstP50: over(p50('cursor-page-deep'), p50('cursor-page-1')),
    indexDeepOverFirstP50: over(p50('index-page-deep'), p50('index-page-1')),
  };
  const totalMs = performance.now() - wallStart;
  const header = `Roster query benchmark: ${args.users} users, ${args.requests} requests/row (+${args.warmup} warm-up), ${serverName}${embedded ? ` (embedded ${embedded.engine})` : ''}, Node ${process.version}, ${cpus().length} CPUs`;
  log('');
  log(renderTable(header, results));
  log('');
  log(`seeding: ${secs(seedMs)}; ratio = Roster p50 / driver p50`);
  if (derived.cursorDeepOverFirstP50 !== null) {
    log(`cursor page ${deepPage} / cursor page 1 (Roster p50): ${derived.cursorDeepOverFirstP50.toFixed(2)}x; walk to page ${deepPage}: ${secs(cursorWalkMs ?? 0)} (not in the rows)`);
  }
  if (derived.indexDeepOverFirstP50 !== null) log(`index page ${deepPage} / index page 1 (Roster p50): ${derived.indexDeepOverFirstP50.toFixed(2)}x`);
  log(`total: ${secs(totalMs)}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const projectRoot = config.projectRoot;
  const outFile = resolve(args.out ?? join(projectRoot, 'bench-results', `query-${stamp}.json`));
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        benchmark: 'query',
        at: new Date().toISOString(),
        args: redactArgs(args),
        environment: {
          node: process.version,
          platform: `${process.platform} ${process.arch}`,
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          database: serverName,
          embedded: embedded?.engine ?? null,
        },
        pageSize: PAGE,
        deepPage,
        seed: { users: args.users, batch: args.batch, ms: seedMs },
        cursorWalkMs: cursorWalkMs ?? null,
        rows: results,
        derived,
        totalMs,
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${outFile}`);
}

function redactArgs(args: Omit<BenchArgs, 'users' | 'requests' | 'warmup'> & { users: number; requests: number; warmup: number }): Record<string, unknown> {
  // The URI may carry credentials: keep its scheme and host only.
  const { mongodbUri, ...rest } = args;
  return { ...rest, mongodbUri: mongodbUri ? mongodbUri.replace(/\/\/[^@/]*@/, '//***@') : null };
}

function renderTable(title: string, rows: RowResult[]): string {
  const head = ['query', 'Roster req/s', 'p50 ms', 'p99 ms', 'driver req/s', 'p50 ms', 'p99 ms', 'ratio p50'];
  const body = rows.map((r) => {
    const b = r.baseline;
    const roster = r.roster
      ? [fmtRate(r.roster.rps), fmtMs(r.roster.p50Ms), fmtMs(r.roster.p99Ms)]
      : [r.note ?? 'n/a', '', ''];
    return [
      r.label,
      ...roster,
      b ? fmtRate(b.rps) : '-',
      b ? fmtMs(b.p50Ms) : '-',
      b ? fmtMs(b.p99Ms) : '-',
      r.ratioP50 === null ? '-' : `${r.ratioP50.toFixed(2)}x`,
    ];
  });
  const naRows = new Set(rows.flatMap((r, i) => (r.roster ? [] : [i])));
  const widths = head.map((h, col) =>
    Math.max(h.length, ...body.map((cells, i) => (naRows.has(i) && col === 1 ? 0 : cells[col]!.length))),
  );
  const line = (cells: string[], i = -1) => {
    if (naRows.has(i)) {
      // the n/a note spans the three Roster columns
      const span = widths[1]! + widths[2]! + widths[3]! + 4;
      return [cells[0]!.padEnd(widths[0]!), cells[1]!.padEnd(span), ...cells.slice(4).map((c, k) => c.padStart(widths[k + 4]!))].join('  ');
    }
    return cells.map((c, col) => (col === 0 ? c.padEnd(widths[col]!) : c.padStart(widths[col]!))).join('  ');
  };
  const rule = '-'.repeat(line(head).length);
  return [title, rule, line(head), rule, ...body.map((cells, i) => line(cells, i)), rule].join('\n');
}

await runBench('bench:query', main);
