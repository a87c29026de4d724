import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { engineDirs, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';

/**
 * Copies a data directory written by the embedded FerretDB SQLite engine to the PostgreSQL engine
 * (README "The embedded database"): every collection of every database, document by document with
 * its BSON types, then checks that each collection has as many documents on both sides. Safe to run
 * again (documents are upserted by _id); the SQLite files are left as they were. Only when every
 * count matches is `sqlite-migrated.json` written, which lets the PostgreSQL engine start.
 */

export interface MigratedCollection {
  db: string;
  collection: string;
  count: number;
}

const BATCH = 1000;
const SYSTEM_DATABASES = new Set(['admin', 'local', 'config']);

export async function migrateSqliteData(opts: {
  dataDir: string;
  projectRoot: string;
  log?: (message: string) => void;
}): Promise<MigratedCollection[]> {
  const log = opts.log ?? (() => undefined);
  const dirs = engineDirs(opts.dataDir);
  if (existsSync(dirs.sqliteMigrated)) {
    log(`${opts.dataDir} was migrated already (${dirs.sqliteMigrated})`);
    return (JSON.parse(readFileSync(dirs.sqliteMigrated, 'utf8')) as { collections: MigratedCollection[] }).collections;
  }
  const started: EmbeddedDatabase[] = [];
  const connections: mongoose.Connection[] = [];
  try {
    log('starting the SQLite engine (source)');
    const source = await startEmbeddedDatabase({ dataDir: opts.dataDir, projectRoot: opts.projectRoot, mode: 'ferretdb-sqlite', log });
    started.push(source);
    log('starting the PostgreSQL engine (target)');
    const target = await startEmbeddedDatabase({ dataDir: opts.dataDir, projectRoot: opts.projectRoot, mode: 'ferretdb-postgresql', migrating: true, log });
    started.push(target);
    const from = await mongoose.createConnection(source.uri, { directConnection: true }).asPromise();
    connections.push(from);
    const to = await mongoose.createConnection(target.uri, { directConnection: true }).asPromise();
    connections.push(to);
    const done: MigratedCollection[] = [];
    const { databases } = await from.getClient().db('admin').admin().listDatabases();
    for (const { name: dbName } of databases) {
      if (SYSTEM_DATABASES.has(dbName)) continue;
      const src = from.getClient().db(dbName);
      const dst = to.getClient().db(dbName);
      for (const { name } of await src.listCollections({}, { nameOnly: true }).toArray()) {
        let batch: Record<string, unknown>[] = [];
        const flush = async (): Promise<void> => {
          if (!batch.length) return;
          await dst.collection(name).bulkWrite(
            batch.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })) as never[],
            { ordered: false },
          );
          batch = [];
        };
        for await (const doc of src.collection(name).find({})) {
          batch.push(doc as Record<string, unknown>);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        const [a, b] = await Promise.all([src.collection(name).countDocuments({}), dst.collection(name).countDocuments({})]);
        if (a !== b) throw new Error(`${dbName}.${name}: ${a} documents in SQLite but ${b} after the copy; nothing was marked migrated`);
        log(`${dbName}.${name}: ${a} documents copied and counted`);
        done.push({ db: dbName, collection: name, count: a });
      }
    }
    writeFileSync(dirs.sqliteMigrated, JSON.stringify({ at: new Date().toISOString(), collections: done }, null, 2) + '\n');
    return done;
  } finally {
    for (const c of connections) await c.close().catch(() => undefined);
    for (const db of started.reverse()) await db.stop().catch(() => undefined);
  }
}
