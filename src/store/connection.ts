import mongoose, { type Connection } from 'mongoose';
import { createModels, type Models } from './models.js';

export interface Store {
  readonly connection: Connection;
  readonly models: Models;
  /** What the server supports beyond the common MongoDB subset (probed at connect). */
  readonly capabilities: StoreCapabilities;
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
  readonly serverName: string;
  /**
   * The engine applies an update's filter atomically (MongoDB, DocumentDB, Cosmos DB, FerretDB 2.x),
   * so several Roster processes may share the database; false on FerretDB 1.x (buildInfo's
   * ferretdbVersion), where one process must own it (src/store/writer-lease.ts).
   */
  readonly atomicConditionalUpdates: boolean;
}

export async function connectStore(uri: string, options: { dbName?: string } = {}): Promise<Store> {
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
  const capabilities = await probeCapabilities(connection);
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
    ping: async () => {
      await connection.db?.admin().ping();
    },
    close: () => connection.close(),
  };
}

async function probeCapabilities(connection: Connection): Promise<StoreCapabilities> {
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
  const atomicConditionalUpdates = !(typeof info.ferretdbVersion === 'string' && /^v?1\./.test(info.ferretdbVersion));
  return { elemMatchFields, serverName, atomicConditionalUpdates };
}
