import pg from 'pg';

/**
 * Indexes Roster owns on the embedded engine, FerretDB 1.24 on PostgreSQL (README "The embedded
 * database"). All the engine-specific SQL of Roster is here.
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
  pool.on('error', onError);
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
    const present = new Set(
      (await pool.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [schema])).rows.map((r) => r.indexname),
    );
    let created = 0;
    for (const { name, tbl } of collections.rows) {
      for (const field of EQUALITY_KEYS[name] ?? []) {
        const index = ginIndexName(tbl, field);
        if (present.has(index)) continue;
        try {
          await pool.query(
            `CREATE INDEX IF NOT EXISTS ${ident(index)} ON ${ident(schema)}.${ident(tbl)} USING gin ((_jsonb->${pg.escapeLiteral(field)}) jsonb_path_ops)`,
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
      await pool.end();
    },
  };
}
