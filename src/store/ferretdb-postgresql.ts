import pg from 'pg';

/**
 * What Roster does in SQL on the embedded engine, FerretDB 1.24 on PostgreSQL (README "The embedded
 * database"): the indexes it owns, and the counts and page keys FerretDB cannot push down. All the
 * engine-specific SQL of Roster is here.
 *
 * Why: FerretDB's PostgreSQL backend pushes a top-level scalar equality (`{field: value}`,
 * `{field: {$eq: value}}`) down to SQL as `_jsonb->'field' @> '"value"'`, but the indexes its own
 * createIndexes builds are btree expression indexes on `(_jsonb->'field')`, which `@>` cannot use:
 * without the indexes below every lookup (an identity provider's `userName eq`, a token, a
 * session) reads the whole table. A GIN index `USING gin ((_jsonb->'field') jsonb_path_ops)` can
 * serve `@>`, provided the server plans each execution with its parameters
 * (`plan_cache_mode=force_custom_plan`, set by embedded-postgres.ts): FerretDB sends the field name
 * as a bind parameter, so a cached generic plan never matches the index expression.
 *
 * FerretDB keeps each database in a PostgreSQL schema of the same name, and in it a metadata table
 * `_ferretdb_database_metadata` whose `_jsonb` has `_id` (the collection) and `table` (the table
 * name, the collection name with a hash suffix). These indexes are not in that metadata, so FerretDB
 * neither lists nor drops them; dropping a collection drops its table and them with it, which is why
 * they are made again whenever a collection is (re)created (`ensure` runs at start and then every
 * minute, and is idempotent and cheap when nothing is missing).
 *
 * Nothing correct depends on them: they only make a query FerretDB already runs faster, and on
 * MongoDB the models' own indexes (models.ts) do that job.
 */

/** The equality keys each collection's hot paths query (repositories under src/store/). */
export const EQUALITY_KEYS: Readonly<Record<string, readonly string[]>> = {
  users: ['_id', 'orgId', 'userNameKey', 'emailKey', 'externalId', 'displayNameKey'],
  groups: ['_id', 'orgId', 'displayNameKey', 'externalId', 'roleBinding'],
  memberships: ['_id', 'orgId', 'groupId', 'userId'],
  tokens: ['_id', 'orgId'],
  sessions: ['_id', 'orgId', 'userId'],
  signin_throttle: ['_id'],
  invitations: ['_id', 'orgId', 'jobId'],
  invitation_tokens: ['_id', 'userId'],
  password_resets: ['_id', 'userId'],
  organizations: ['_id'],
  seats: ['_id'],
  meta: ['_id'],
  counters: ['_id'],
  jobs: ['_id', 'orgId', 'state'],
  import_chunks: ['_id', 'jobId'],
  import_results: ['_id', 'jobId'],
  import_keys: ['_id', 'jobId'],
  audit: ['_id', 'orgId'],
  outbox: ['_id', 'orgId'],
};

/**
 * Why `fastupdate = off`: by default a GIN index queues new entries in a pending list (up to
 * gin_pending_list_limit, 4 MB) until a vacuum merges them, and every search reads that whole list
 * linearly. After a bulk provisioning the list holds the last ~100,000 rows, so each single-row
 * lookup (`userName eq`, GET by id) read ~250 pages and took 4-11 ms at 100,000 users against
 * 0.03 ms once merged (EXPLAIN (ANALYZE, BUFFERS) on the users table): lookups slowed with the
 * size of the deployment. Written straight into the index, an insert costs one more index entry per
 * key (one per row here: each indexed field is a scalar) and a lookup reads a few pages at any size.
 */
const GIN_OPTIONS = 'fastupdate = off';

const METADATA_TABLE = '_ferretdb_database_metadata';
const ENSURE_EVERY_MS = 60_000;

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `<table>_rg_<field>`, within PostgreSQL's 63-byte identifier limit. */
export function ginIndexName(table: string, field: string): string {
  const suffix = `_rg_${field.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 30);
  return `${table.slice(0, 63 - suffix.length)}${suffix}`;
}

export interface OwnedIndexes {
  /** Creates what is missing; returns how many indexes it created. */
  ensure(): Promise<number>;
  close(): Promise<void>;
}

export function ownedIndexes(postgresUrl: string, schema: string, onError: (err: unknown) => void = () => undefined): OwnedIndexes {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 2, idleTimeoutMillis: 10_000 });
  let closed = false;
  // pool.end() resolves before its connections are gone: the server stopping right after must not
  // be reported as a fault.
  pool.on('error', (err) => {
    if (!closed) onError(err);
  });
  let running: Promise<number> | undefined;

  const ensureOnce = async (): Promise<number> => {
    const exists = await pool.query<{ ok: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2) AS ok',
      [schema, METADATA_TABLE],
    );
    if (!exists.rows[0]?.ok) return 0;
    const collections = await pool.query<{ name: string; tbl: string }>(
      `SELECT _jsonb->>'_id' AS name, _jsonb->>'table' AS tbl FROM ${ident(schema)}.${ident(METADATA_TABLE)}`,
    );
    // Each index present, and whether it is already built without a pending list (see GIN_OPTIONS).
    const present = new Map(
      (
        await pool.query<{ name: string; direct: boolean }>(
          `SELECT c.relname AS name, coalesce('fastupdate=off' = ANY (c.reloptions), false) AS direct
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'i'`,
          [schema],
        )
      ).rows.map((r) => [r.name, r.direct]),
    );
    let created = 0;
    for (const { name, tbl } of collections.rows) {
      for (const field of EQUALITY_KEYS[name] ?? []) {
        const index = ginIndexName(tbl, field);
        const direct = present.get(index);
        try {
          if (direct === false) {
            // Made by an earlier Roster with a pending list: switch it off, then merge what is pending
            // (a lookup keeps reading the list until it is merged).
            await pool.query(`ALTER INDEX ${ident(schema)}.${ident(index)} SET (${GIN_OPTIONS})`);
            await pool.query('SELECT gin_clean_pending_list($1::regclass)', [`${ident(schema)}.${ident(index)}`]);
            continue;
          }
          if (direct) continue;
          await pool.query(
            `CREATE INDEX IF NOT EXISTS ${ident(index)} ON ${ident(schema)}.${ident(tbl)} USING gin ((_jsonb->${pg.escapeLiteral(field)}) jsonb_path_ops) WITH (${GIN_OPTIONS})`,
          );
          created += 1;
        } catch (err) {
          // Another Roster made it at the same moment (42P07, 23505), or the collection was just
          // dropped (42P01): the next round sees the outcome.
          const code = (err as { code?: string }).code;
          if (code !== '42P07' && code !== '23505' && code !== '42P01') throw err;
        }
      }
    }
    return created;
  };

  const ensure = (): Promise<number> => {
    running ??= ensureOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    ensure().catch(onError);
  }, ENSURE_EVERY_MS);
  timer.unref();
  return {
    ensure,
    close: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
      closed = true;
      await pool.end();
    },
  };
}

/**
 * Counts and page keys read in SQL. Why: FerretDB 1.x pushes neither a count, nor a sort, nor a
 * limit, nor `$in` down to PostgreSQL: `GET /Users?count=0`, the admin tabs' counts and an
 * unfiltered first page made FerretDB read and decode every document of the organization in Go
 * (360 ms for a count at 2,000 users, 3 s for a page at 10,000). In SQL, PostgreSQL counts the
 * organization's rows from the orgId index without shipping them (still O(organization) rows in
 * PostgreSQL, see README), and orders by `created` to return 100 ids, which are then read by _id.
 *
 * Semantics kept equal to the MongoDB queries they replace (`{orgId, status: {$ne: 'deleted'}}`,
 * `{orgId, status: {$in: [...]}}`, sort `{created, _id}`): FerretDB stores a document's fields at
 * the top level of `_jsonb` (strings as JSON strings, dates as numbers of milliseconds), a missing
 * field is NULL and sorts first as in MongoDB, and the cluster's collation is C (initdb
 * --locale=C), so `_id` strings order bytewise as MongoDB orders them. Used only when the store was
 * given the embedded PostgreSQL; on any other engine the repositories run their MongoDB queries.
 */
export interface EngineSql {
  /** Documents of the organization whose `status` is one of `statuses`, or (`notStatus`) is not that value. */
  count(collection: string, orgId: string, status: { in: readonly string[] } | { ne: string }): Promise<number>;
  /** `_id`s of the organization's documents whose status is not `notStatus`, sorted by (created, _id). */
  pageIds(collection: string, orgId: string, notStatus: string, direction: 1 | -1, skip: number, limit: number): Promise<string[]>;
  /**
   * `{orgId, [field]: {$in: values}}` (string values; `orgId` undefined: any organization), answering
   * the `select` fields of each match as text (null when absent). FerretDB reads every document of
   * the organization for an `$in`, and one equality lookup per value costs a FerretDB round trip each
   * (a bulk import batch asks for hundreds); here it is one indexed `= ANY` on the btree expression
   * indexes FerretDB's createIndexes builds for the models' indexes.
   */
  findIn(collection: string, orgId: string | undefined, field: string, values: readonly string[], select: readonly string[]): Promise<(string | null)[][]>;
  close(): Promise<void>;
}

export function engineSql(postgresUrl: string, schema: string, onError: (err: unknown) => void = () => undefined): EngineSql {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 4, idleTimeoutMillis: 30_000 });
  let closed = false;
  pool.on('error', (err) => {
    if (!closed) onError(err);
  });
  const tables = new Map<string, string>();
  const table = async (collection: string): Promise<string | undefined> => {
    const known = tables.get(collection);
    if (known) return known;
    const found = await pool.query<{ tbl: string }>(
      `SELECT _jsonb->>'table' AS tbl FROM ${ident(schema)}.${ident(METADATA_TABLE)} WHERE _jsonb->'_id' = to_jsonb($1::text)`,
      [collection],
    );
    const tbl = found.rows[0]?.tbl;
    if (tbl) tables.set(collection, tbl);
    return tbl;
  };
  /** Runs `sql` on the collection's table; a table dropped and made again under another name is looked up once more. */
  const onTable = async <R extends pg.QueryResultRow>(collection: string, sql: (from: string) => string, params: unknown[]): Promise<R[] | undefined> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const tbl = await table(collection);
      if (!tbl) return undefined;
      try {
        return (await pool.query<R>(sql(`${ident(schema)}.${ident(tbl)}`), params)).rows;
      } catch (err) {
        if ((err as { code?: string }).code !== '42P01' || attempt > 0) throw err;
        tables.delete(collection);
      }
    }
    return undefined;
  };
  const NOT_STATUS = `NOT COALESCE(_jsonb->'status' @> to_jsonb($2::text), false)`;
  return {
    count: async (collection, orgId, status) => {
      const rows =
        'in' in status
          ? await onTable<{ n: string }>(
              collection,
              (from) => `SELECT count(*) AS n FROM ${from} WHERE _jsonb->'orgId' @> to_jsonb($1::text) AND _jsonb->'status' = ANY (SELECT to_jsonb(s) FROM unnest($2::text[]) AS s)`,
              [orgId, [...status.in]],
            )
          : await onTable<{ n: string }>(
              collection,
              (from) => `SELECT count(*) AS n FROM ${from} WHERE _jsonb->'orgId' @> to_jsonb($1::text) AND ${NOT_STATUS}`,
              [orgId, status.ne],
            );
      return Number(rows?.[0]?.n ?? 0);
    },
    pageIds: async (collection, orgId, notStatus, direction, skip, limit) => {
      const order = direction === 1 ? 'ASC NULLS FIRST' : 'DESC NULLS LAST';
      const rows = await onTable<{ id: string }>(
        collection,
        (from) =>
          `SELECT _jsonb->>'_id' AS id FROM ${from} WHERE _jsonb->'orgId' @> to_jsonb($1::text) AND ${NOT_STATUS} ` +
          `ORDER BY _jsonb->'created' ${order}, _jsonb->'_id' ${order} OFFSET $3 LIMIT $4`,
        [orgId, notStatus, skip, limit],
      );
      return (rows ?? []).map((r) => r.id);
    },
    findIn: async (collection, orgId, field, values, select) => {
      if (values.length === 0) return [];
      const columns = select.map((f, i) => `_jsonb->>${literal(f)} AS c${i}`).join(', ');
      const rows = await onTable<Record<string, string | null>>(
        collection,
        (from) =>
          `SELECT ${columns} FROM ${from} WHERE ` +
          (orgId === undefined ? '' : `_jsonb->'orgId' = to_jsonb($2::text) AND `) +
          `_jsonb->${literal(field)} = ANY ($1::jsonb[])`,
        orgId === undefined ? [values.map((v) => JSON.stringify(v))] : [values.map((v) => JSON.stringify(v)), orgId],
      );
      return (rows ?? []).map((r) => select.map((_, i) => r[`c${i}`] ?? null));
    },
    close: () => {
      closed = true;
      return pool.end();
    },
  };
}

/** A field name as an SQL string literal (the names are the repositories' own constants). */
function literal(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}
