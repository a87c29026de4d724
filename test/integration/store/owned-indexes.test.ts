import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { connectStore } from '../../../src/store/connection.js';
import { EQUALITY_KEYS } from '../../../src/store/ferretdb-postgresql.js';
import { h, newOrg, userBody } from '../../support/harness.js';
import { withFiller } from '../../support/filler.js';

/** The plan of a find, as the engine tells it. */
async function plan(collection: string, filter: Record<string, unknown>): Promise<string> {
  const db = h().store.connection.db!;
  return JSON.stringify(await db.collection(collection).find(filter).explain());
}

/**
 * On FerretDB over PostgreSQL the plan is PostgreSQL's: the lookup must be a Bitmap Index Scan on
 * the GIN index Roster owns for `field`, never a Seq Scan. On MongoDB the models' indexes serve it.
 */
function expectIndexed(p: string, field: string, what: string): void {
  if (p.includes('"Node Type"')) {
    expect(p, what).to.include('"filterPushdown":true');
    // The planner picks among Roster's indexes by its statistics (the key, or orgId with it).
    expect(p, what).to.match(new RegExp(`"Index Name":"[a-z0-9_]+_rg_(${field}|orgId)"`));
    expect(p, what).to.not.include('Seq Scan');
  } else {
    expect(p, what).to.match(/IXSCAN|IDHACK|EXPRESS/);
    expect(p, what).to.not.match(/COLLSCAN/);
  }
}

describe('Indexes Roster owns on the embedded engine', () => {
  it('serves the identity providers\' and the sign-in lookups from an index (EXPLAIN), never a sequential scan', async function () {
    this.timeout(60_000);
    const org = await newOrg();
    const created = await org.scim.post('/Users', userBody('grace@example.com', { externalId: 'ext-grace' })).expect(201);
    const id = created.body.id as string;
    const visible = { status: { $ne: 'deleted' } };
    const lookups: [Record<string, unknown>, string, string][] = [
      [{ userNameKey: 'grace@example.com', orgId: org.id, ...visible }, 'userNameKey', 'userName eq'],
      [{ userNameKey: 'nobody@example.com', orgId: org.id, ...visible }, 'userNameKey', 'unknown userName eq'],
      [{ externalId: 'ext-grace', orgId: org.id, ...visible }, 'externalId', 'externalId eq'],
      [{ orgId: org.id, emailKey: 'grace@example.com', ...visible }, 'emailKey', 'sign-in by email'],
      [{ _id: id }, '_id', 'GET /Users/{id}'],
    ];
    await withFiller(async () => {
      for (const [filter, field, what] of lookups) expectIndexed(await plan('users', filter), field, `${what} on users`);
    });
  });

  it('has an index that serves every other hot equality key, in the SQL FerretDB pushes down', async function () {
    const postgresUrl = h().embedded?.postgresUrl;
    if (!postgresUrl) {
      // Another engine (MONGODB_URI, mongodb-memory-server, FerretDB on SQLite): no owned indexes at all.
      expect(h().store.ownedIndexes).to.equal(undefined);
      return;
    }
    // On a table of a few rows PostgreSQL rightly prefers reading it; what Roster owns is that an
    // index matching FerretDB's expression exists, so the plan is asked for without that choice.
    const schema = h().store.connection.db!.databaseName;
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const tables = new Map(
        (await client.query<{ name: string; tbl: string }>(`SELECT _jsonb->>'_id' AS name, _jsonb->>'table' AS tbl FROM "${schema}"._ferretdb_database_metadata`)).rows.map(
          (r) => [r.name, r.tbl],
        ),
      );
      for (const [collection, fields] of Object.entries(EQUALITY_KEYS)) {
        const table = tables.get(collection);
        if (!table) continue; // a collection no model has created in this database
        for (const field of fields) {
          const explained = await client.query(
            `EXPLAIN (FORMAT JSON) SELECT _jsonb FROM "${schema}"."${table}" WHERE _jsonb->$1::text @> $2::jsonb`,
            [field, JSON.stringify('x')],
          );
          const text = JSON.stringify(explained.rows);
          expect(text, `${collection}.${field}`).to.include(`_rg_${field}`);
          expect(text, `${collection}.${field}`).to.not.include('Seq Scan');
        }
      }
      expect(tables.has('users') && tables.has('memberships') && tables.has('sessions')).to.equal(true);
    } finally {
      await client.end();
    }
  });

  it('makes its indexes again when a collection is dropped and created again, and creates nothing twice', async function () {
    const postgresUrl = h().embedded?.postgresUrl;
    if (!postgresUrl) {
      // Another engine (MONGODB_URI, mongodb-memory-server, FerretDB on SQLite): no owned indexes at all.
      expect(h().store.ownedIndexes).to.equal(undefined);
      return;
    }
    this.timeout(60_000);
    const store = await connectStore(h().embedded!.uri, { dbName: `roster_idx_${randomBytes(4).toString('hex')}`, postgresUrl });
    try {
      expect(await store.ownedIndexes!.ensure(), 'all made at start').to.equal(0);
      const sessions = store.connection.db!.collection('sessions');
      await sessions.drop();
      // Enough rows that an index beats reading the table.
      await sessions.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: `s${i}`, orgId: 'o' })) as never[]);
      expect(await store.ownedIndexes!.ensure(), 'sessions again').to.equal(EQUALITY_KEYS.sessions!.length);
      expect(await store.ownedIndexes!.ensure()).to.equal(0);
      const p = JSON.stringify(await sessions.find({ _id: 's1' } as never).explain());
      expectIndexed(p, '_id', 'session by id after re-creation');
    } finally {
      await store.connection.db!.dropDatabase();
      await store.close();
    }
  });

  it('keeps no GIN pending list, so a lookup reads a few pages at any size, and switches an older index over', async function () {
    const postgresUrl = h().embedded?.postgresUrl;
    if (!postgresUrl) {
      // Another engine (MONGODB_URI, mongodb-memory-server, FerretDB on SQLite): no owned indexes at all.
      expect(h().store.ownedIndexes).to.equal(undefined);
      return;
    }
    this.timeout(60_000);
    const dbName = `roster_idx_${randomBytes(4).toString('hex')}`;
    const store = await connectStore(h().embedded!.uri, { dbName, postgresUrl });
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const table = (
        await client.query<{ tbl: string }>(`SELECT _jsonb->>'table' AS tbl FROM "${dbName}"._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'users'`)
      ).rows[0]!.tbl;
      const index = `${table}_rg_userNameKey`;
      const options = async (): Promise<string[] | null> =>
        (
          await client.query<{ o: string[] | null }>(
            'SELECT c.reloptions AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
            [dbName, index],
          )
        ).rows[0]!.o;
      expect(await options(), 'made without a pending list').to.deep.equal(['fastupdate=off']);

      // An index as an earlier Roster made it (default fastupdate = on), with rows queued in its list.
      await client.query(`DROP INDEX "${dbName}"."${index}"`);
      await client.query(`CREATE INDEX "${index}" ON "${dbName}"."${table}" USING gin ((_jsonb->'userNameKey') jsonb_path_ops)`);
      await store.connection.db!.collection('users').insertMany(
        Array.from({ length: 3000 }, (_, i) => ({ _id: `u${i}`, orgId: 'o', userNameKey: `u${i}@example.com` })) as never[],
      );
      expect(await options()).to.equal(null);
      expect(await store.ownedIndexes!.ensure(), 'nothing created, one index switched over').to.equal(0);
      expect(await options()).to.deep.equal(['fastupdate=off']);
      await client.query('SET enable_seqscan = off'); // a small table: ask for the index's plan
      const explained = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT _jsonb FROM "${dbName}"."${table}" WHERE _jsonb->'userNameKey' @> '"nobody@example.com"'`,
      );
      const plan = (explained.rows[0] as { 'QUERY PLAN': [{ Plan: Record<string, unknown> }] })['QUERY PLAN'][0].Plan;
      expect(JSON.stringify(plan)).to.not.include('Seq Scan');
      // With 3000 rows still pending, the search read the whole list (several pages); merged, a
      // lookup of a missing key reads the index's root and a leaf.
      expect(plan['Shared Hit Blocks'] as number, JSON.stringify(plan)).to.be.at.most(4);
    } finally {
      await client.end();
      await store.connection.db!.dropDatabase();
      await store.close();
    }
  });
});
