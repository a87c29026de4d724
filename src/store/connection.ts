import mongoose, { type Connection } from 'mongoose';
import { createModels, type Models } from './models.js';
import { engineSql, ownedIndexes, type EngineSql, type OwnedIndexes } from './ferretdb-postgresql.js';

export interface Store {
  readonly connection: Connection;
  readonly models: Models;
  /** What the server supports beyond the common MongoDB subset (probed at connect). */
  readonly capabilities: StoreCapabilities;
  /** The embedded engine's extra indexes (ferretdb-postgresql.ts); absent elsewhere. */
  readonly ownedIndexes?: OwnedIndexes;
  /** Counts and page keys in SQL on that engine (ferretdb-postgresql.ts); absent elsewhere. */
  readonly sql?: EngineSql;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * The one observer of the driver's command monitoring (name, seconds, succeeded), for database
   * latency metrics; a later call replaces the earlier observer, so apps made again (tests) do not
   * pile up listeners.
   */
  observeCommands(observer: ((command: string, seconds: number, ok: boolean) => void) | undefined): void;
}

export interface StoreCapabilities {
  /** $elemMatch with several field conditions (MongoDB, DocumentDB, Cosmos DB; not FerretDB 1.x). */
  readonly elemMatchFields: boolean;
  /** `$in` served by an index (MongoDB and the others); FerretDB 1.x pushes only equality down (see pushdown.ts). */
  readonly inPushdown: boolean;
  /**
   * Top-level equality served by an index: MongoDB, and FerretDB 1.x on PostgreSQL; not FerretDB
   * 1.x on SQLite, which pushes down `{_id}` alone (see pushdown.ts).
   */
  readonly equalityPushdown: boolean;
  readonly serverName: string;
  /**
   * The engine applies an update's filter atomically (MongoDB, DocumentDB, Cosmos DB, FerretDB 2.x),
   * so several Roster processes may share the database; false on FerretDB 1.x (buildInfo's
   * ferretdbVersion), where one process must own it (src/store/writer-lease.ts).
   */
  readonly atomicConditionalUpdates: boolean;
}

export interface ConnectOptions {
  dbName?: string;
  /** The PostgreSQL under an embedded FerretDB: Roster then keeps its own indexes there. */
  postgresUrl?: string;
  /** Where a failure of that upkeep is reported (it never fails a request). */
  onIndexError?: (err: unknown) => void;
}

export async function connectStore(uri: string, options: ConnectOptions = {}): Promise<Store> {
  const connection = mongoose.createConnection(uri, {
    ...(options.dbName ? { dbName: options.dbName } : {}),
    serverSelectionTimeoutMS: 10_000,
    // Identity providers retry; so do we, once, on a dropped connection.
    retryWrites: false,
    // Command monitoring feeds the database latency metrics (observeCommands below).
    monitorCommands: true,
    autoIndex: false,
    autoCreate: true,
  });
  await connection.asPromise();
  const models = createModels(connection);
  // Indexes are created explicitly (not by autoIndex) so start-up fails loudly if one cannot be built.
  for (const model of Object.values(models)) {
    await model.createIndexes();
  }
  let indexes: OwnedIndexes | undefined;
  let sql: EngineSql | undefined;
  if (options.postgresUrl) {
    const schema = connection.db?.databaseName ?? options.dbName ?? 'test';
    indexes = ownedIndexes(options.postgresUrl, schema, options.onIndexError);
    await indexes.ensure();
    sql = engineSql(options.postgresUrl, schema, options.onIndexError);
  }
  const capabilities = await probeCapabilities(connection, options.postgresUrl !== undefined);
  let observer: ((command: string, seconds: number, ok: boolean) => void) | undefined;
  const client = connection.getClient();
  client.on('commandSucceeded', (e: { commandName: string; duration: number }) => observer?.(e.commandName, e.duration / 1000, true));
  client.on('commandFailed', (e: { commandName: string; duration: number }) => observer?.(e.commandName, e.duration / 1000, false));
  return {
    observeCommands: (next) => {
      observer = next;
    },
    connection,
    models,
    capabilities,
    ...(indexes ? { ownedIndexes: indexes } : {}),
    ...(sql ? { sql } : {}),
    ping: async () => {
      await connection.db?.admin().ping();
    },
    close: async () => {
      await indexes?.close();
      await sql?.close();
      await connection.close();
    },
  };
}

async function probeCapabilities(connection: Connection, embeddedPostgres: boolean): Promise<StoreCapabilities> {
  const admin = connection.db?.admin();
  const info = admin ? ((await admin.command({ buildInfo: 1 })) as Record<string, unknown>) : {};
  const serverName = typeof info.ferretdbVersion === 'string' ? `FerretDB ${info.ferretdbVersion}` : `MongoDB ${String(info.version)}`;
  let elemMatchFields = true;
  try {
    await connection.db
      ?.collection('users')
      .findOne({ _id: '~probe' as never, emails: { $elemMatch: { type: 'work', value: 'x' } } });
  } catch {
    elemMatchFields = false;
  }
  const ferretdb = typeof info.ferretdbVersion === 'string';
  let equalityPushdown = !ferretdb || embeddedPostgres;
  if (!equalityPushdown && admin) {
    // FerretDB names its backend in its startup warnings: "Powered by FerretDB v1.24.2 and PostgreSQL 17.10."
    const log = (await admin.command({ getLog: 'startupWarnings' }).catch(() => ({}))) as { log?: unknown };
    equalityPushdown = JSON.stringify(log.log ?? '').includes('PostgreSQL');
  }
  const atomicConditionalUpdates = !(ferretdb && /^v?1\./.test(info.ferretdbVersion as string));
  return { elemMatchFields, inPushdown: !ferretdb, equalityPushdown, serverName, atomicConditionalUpdates };
}
