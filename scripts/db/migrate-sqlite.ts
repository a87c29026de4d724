/**
 * npm run db:migrate-sqlite: copies the embedded SQLite engine's data under ROSTER_DATA_DIR (default
 * ./data) to the PostgreSQL engine, checked by counts (src/store/sqlite-migration.ts). Stop Roster first.
 */
import { loadConfig } from '../../src/config.js';
import { migrateSqliteData } from '../../src/store/sqlite-migration.js';

const config = loadConfig();
try {
  const done = await migrateSqliteData({
    dataDir: config.dataDir,
    projectRoot: config.projectRoot,
    log: (m) => process.stderr.write(`[migrate] ${m}\n`),
  });
  const total = done.reduce((n, c) => n + c.count, 0);
  process.stdout.write(`migrated ${done.length} collections, ${total} documents, from SQLite to PostgreSQL in ${config.dataDir}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
