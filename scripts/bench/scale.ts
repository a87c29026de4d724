/**
 * Scale benchmark (issue 12): the identity providers' hot requests against the embedded engine as
 * the deployment grows, beside the same lookup as plain SQL in the same PostgreSQL.
 *
 * Usage:
 *
 *   npm run bench:scale                                           # 1k and 10k stored users
 *   npm run bench:scale -- --sizes 1000,10000,100000 --requests 30
 *   npm run bench:scale -- --engine ferretdb-sqlite --sizes 10000 --requests 5
 *
 * Flags:
 *   --sizes A,B,...  stored users (all organizations together) at which to measure; the
 *                    database grows from one size to the next (default 1000,10000)
 *   --orgs K         organizations the users are spread over, round robin (default 5); the
 *                    requests run in the first one, which holds 1/K of the users
 *   --requests R     measured requests per row, one after the other (default 40; 5 on SQLite)
 *   --warmup W       unmeasured requests per row first (default 3)
 *   --engine E       ferretdb-postgresql (default) | ferretdb-sqlite | mongodb-memory-server | auto
 *   --seed S         seed of the random picks (default 42)
 *   --out FILE       JSON output (default bench-results/scale-<timestamp>.json)
 *
 * Rows (over HTTP to Roster in-process on loopback, SCIM token of the measured organization):
 *   userName eq, externalId eq, unknown userName eq     GET /Users?filter=...
 *   GET by id, PATCH by id (replace title)              /Users/{id}
 *   group member add                                    PATCH /Groups/{id} add members [{value}]
 *   Okta push: lookup + POST                            userName eq (unknown), then POST /Users, in turn
 *   first page of 100                                   GET /Users?startIndex=1&count=100
 *   displayName co, 100                                 GET /Users?count=100&filter=displayName co "Hopp"
 *   count=0                                             GET /Users?count=0 (totalResults only)
 *   driver userName eq                                  findOne with the MongoDB driver (no Roster, no HTTP)
 *   SQL userName eq                                     the query FerretDB pushes down, run with pg
 *                                                       on the same table (the physical floor)
 *
 * Users are seeded with the MongoDB driver (insertMany, records shaped as Roster stores them, see
 * lib/seed.ts); after each size the tables are ANALYZEd (what autovacuum does on its own a little
 * later). Only loopback traffic; it stops by itself and cleans up on error or Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Collection } from 'mongodb';
import pg from 'pg';
import type { UserRecord } from '../../src/store/user.repository.js';
import type { EmbeddedMode } from '../../src/store/embedded-database.js';
import { Cleanup, newScimOrganization, runBench, startBenchRoster } from './lib/harness.js';
import { externalIdOf, seedUser, userNameOf, type SeedPlan } from './lib/seed.js';
import { fmtMs, measure, rng, type Summary } from './lib/stats.js';

const REQUEST_TIMEOUT_MS = 120_000;
const SCIM = '/scim/v2';
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Row {
  size: number;
  key: string;
  summary: Summary;
}

function parse() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      sizes: { type: 'string' },
      orgs: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      engine: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const engine = (values.engine ?? 'ferretdb-postgresql') as EmbeddedMode;
  if (!['auto', 'ferretdb-postgresql', 'ferretdb-sqlite', 'mongodb-memory-server'].includes(engine)) throw new Error(`--engine: unknown engine ${engine}`);
  const int = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`);
    return n;
  };
  const sizes = (values.sizes ?? '1000,10000').split(',').map((s) => int(s.trim(), 0));
  if (sizes.some((s, i) => i > 0 && s <= sizes[i - 1]!)) throw new Error('--sizes must grow');
  return {
    engine,
    sizes,
    orgs: int(values.orgs, 5),
    requests: int(values.requests, engine === 'ferretdb-sqlite' ? 5 : 40),
    warmup: int(values.warmup, 3),
    seed: int(values.seed, 42),
    out: values.out,
  };
}

async function main(cleanup: Cleanup): Promise<void> {
  const args = parse();
  const roster = await startBenchRoster(cleanup, { engine: args.engine, requestTimeoutMs: REQUEST_TIMEOUT_MS, log });
  const { store, embedded, dbName, baseUrl } = roster;
  log(`database: ${roster.serverName}${embedded ? ` (embedded ${embedded.engine})` : ''}; ${args.orgs} organizations; ${args.requests} requests/row`);
  const orgs = [];
  for (let k = 0; k < args.orgs; k++) orgs.push(await newScimOrganization(roster, `scale-${k}`));
  const measured = orgs[0]!;
  const auth = { Authorization: `Bearer ${measured.token}`, 'Content-Type': 'application/scim+json' };
  const call = async (method: string, path: string, body?: unknown, expect = 200): Promise<Record<string, unknown>> => {
    const res = await fetch(baseUrl + SCIM + path, {
      method,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status !== expect) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  let sql: pg.Pool | undefined;
  let usersTable: string | undefined;
  if (embedded?.postgresUrl) {
    const pool = new pg.Pool({ connectionString: embedded.postgresUrl, max: 2 });
    sql = pool;
    cleanup.add('close the SQL pool', () => pool.end());
    const found = await pool.query<{ tbl: string }>(
      `SELECT _jsonb->>'table' AS tbl FROM "${dbName}"."_ferretdb_database_metadata" WHERE _jsonb->>'_id' = 'users'`,
    );
    usersTable = found.rows[0]?.tbl;
  }

  const users = store.connection.db!.collection('users') as unknown as Collection<UserRecord>;
  const end = new Date();
  const start = new Date(end.getTime() - 2 * 365 * 24 * 3600 * 1000);
  const random = rng(args.seed);
  const pick = rng(args.seed + 1);
  const group = await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Scale' }, 201);
  const groupId = String(group.id);
  let seeded = 0;
  /** Users the push row created in the measured organization (warm-ups included). */
  let pushed = 0;
  const rows: Row[] = [];
  const ids = new Map<number, string>();
  const t0 = performance.now();
  for (const size of args.sizes) {
    const seedStart = performance.now();
    for (let from = seeded; from < size; from += 1000) {
      const to = Math.min(size, from + 1000);
      const docs: UserRecord[] = [];
      for (let i = from; i < to; i++) {
        const org = orgs[i % orgs.length]!;
        const plan: SeedPlan = { orgId: org.orgId, users: size, batch: 1000, start, end };
        const doc = seedUser(plan, i, random);
        if (i % orgs.length === 0) ids.set(i, doc._id);
        docs.push(doc);
      }
      await users.insertMany(docs, { ordered: false });
    }
    seeded = size;
    log(`seeded ${size} users (${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);
    if (sql) await sql.query('ANALYZE');
    // Indices of users in the measured organization.
    const mine = [...ids.keys()];
    const anyMine = () => mine[Math.floor(pick() * mine.length)]!;
    const R = args.requests;
    const W = args.warmup;
    const row = async (key: string, op: (i: number) => Promise<void>) => {
      const summary = await measure(R, W, op);
      rows.push({ size, key, summary });
      log(`  ${size.toString().padStart(7)}  ${key.padEnd(22)} p50 ${fmtMs(summary.p50Ms).padStart(9)}  p99 ${fmtMs(summary.p99Ms).padStart(9)}`);
    };
    await row('userName eq', async () => {
      const i = anyMine();
      const body = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userNameOf(i)}"`)}`);
      if (body.totalResults !== 1) throw new Error(`userName eq ${userNameOf(i)}: ${String(body.totalResults)}`);
    });
    await row('externalId eq', async () => {
      const i = anyMine();
      const body = await call('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${externalIdOf(i)}"`)}`);
      if (body.totalResults !== 1) throw new Error(`externalId eq: ${String(body.totalResults)}`);
    });
    await row('unknown userName eq', async (i) => {
      const body = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "nobody-${i}-${size}@bench.example.com"`)}`);
      if (body.totalResults !== 0) throw new Error('unknown userName found');
    });
    await row('GET by id', async () => {
      await call('GET', `/Users/${ids.get(anyMine())}`);
    });
    await row('PATCH by id', async (i) => {
      await call('PATCH', `/Users/${ids.get(anyMine())}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'title', value: `t${i}` }],
      });
    });
    await row('group member add', async () => {
      await call('PATCH', `/Groups/${groupId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: ids.get(anyMine()) }] }],
      }, 204);
    });
    await row('Okta push: lookup + POST', async (i) => {
      const userName = `pushed-${size}-${i}@bench.example.com`;
      const found = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      if (found.totalResults !== 0) throw new Error('pushed user exists already');
      await call('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        externalId: `pushed-ext-${size}-${i}`,
        name: { givenName: 'Push', familyName: 'Ed' },
        emails: [{ value: userName, type: 'work', primary: true }],
        active: true,
      }, 201);
      pushed += 1;
    });
    await row('first page of 100', async () => {
      const body = await call('GET', '/Users?startIndex=1&count=100');
      if ((body.Resources as unknown[]).length !== Math.min(100, mine.length + pushed)) throw new Error('short page');
    });
    await row('displayName co, 100', async () => {
      // Not pushed down by FerretDB 1.x: reads the organization (README, the engine's limits).
      await call('GET', `/Users?count=100&filter=${encodeURIComponent('displayName co "Hopp"')}`);
    });
    await row('count=0', async () => {
      const body = await call('GET', '/Users?count=0');
      if (body.totalResults !== mine.length + pushed) throw new Error(`count=0: ${String(body.totalResults)} != ${mine.length + pushed}`);
    });
    await row('driver userName eq', async () => {
      // The same lookup with the MongoDB driver through the engine, without Roster and HTTP.
      const i = anyMine();
      const found = await users.findOne({ userNameKey: userNameOf(i), orgId: measured.orgId, status: { $ne: 'deleted' } } as never);
      if (!found) throw new Error('driver lookup missed');
    });
    if (sql && usersTable) {
      const pool = sql;
      const q = `SELECT _jsonb FROM "${dbName}"."${usersTable}" WHERE _jsonb->'orgId' @> $1::jsonb AND _jsonb->'userNameKey' @> $2::jsonb`;
      await row('SQL userName eq', async () => {
        const i = anyMine();
        const r = await pool.query(q, [JSON.stringify(measured.orgId), JSON.stringify(userNameOf(i))]);
        if (r.rowCount !== 1) throw new Error('SQL lookup missed');
      });
    }
  }
  const environment = { node: process.version, cpus: cpus().length, loadavg: loadavg(), database: roster.serverName, embedded: embedded?.engine ?? null };
  log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} CPUs); wall ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  // Markdown table: one column per size.
  const keys = [...new Set(rows.map((r) => r.key))];
  const head = `| request | ${args.sizes.map((s) => `${s.toLocaleString('en')} users p50 / p99 (ms)`).join(' | ')} |`;
  log(`\n${head}\n|${' --- |'.repeat(args.sizes.length + 1)}`);
  for (const key of keys) {
    const cells = args.sizes.map((s) => {
      const r = rows.find((x) => x.key === key && x.size === s);
      return r ? `${r.summary.p50Ms.toFixed(1)} / ${r.summary.p99Ms.toFixed(1)}` : 'n/a';
    });
    log(`| ${key} | ${cells.join(' | ')} |`);
  }
  const out = resolve(args.out ?? join('bench-results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ args, environment, rows }, null, 2));
  log(`\nJSON: ${out}`);
}

void runBench('scale benchmark', main);
