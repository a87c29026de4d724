/**
 * /Bulk benchmark (issue 8 item 4): N user creations in one POST /Bulk against the same N
 * creations one by one (POST /Users), over HTTP to an in-process Roster, in one run.
 *
 * Usage:
 *
 *   npx tsx scripts/bench/bulk.ts                      # --users = ROSTER_BULK_MAX_OPERATIONS (1000)
 *   npx tsx scripts/bench/bulk.ts --users 200          # quick run on FerretDB
 *   npx tsx scripts/bench/bulk.ts --mongodb-uri mongodb://127.0.0.1:27017 --users 1000
 *
 * Flags:
 *   --users N          creations per side, 1..maxOperations (default maxOperations)
 *   --engine E         embedded database: auto | ferretdb | mongodb-memory-server (default auto)
 *   --mongodb-uri URI  use this server instead of a throwaway embedded one (own database, dropped at the end)
 *
 * Each side gets its own new organization (no seat limit, no domains), so both write into a
 * collection of the same size. The one-by-one side goes first, sequentially, on one keep-alive
 * connection. Prints total seconds and milliseconds per user for both, and the ratio. The shell's
 * MONGODB_URI and ROSTER_* variables are ignored; it only talks to 127.0.0.1 and cleans up after itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { connectStore, type Store } from '../../src/store/connection.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/store/embedded-database.js';
import { createApp, createServices } from '../../src/app.js';
import { jsonClient } from './lib/http.js';

const REQUEST_TIMEOUT_MS = 30 * 60 * 1000;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

function userBody(userName: string) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Bench', familyName: 'User' },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
  };
}

const log = (m: string) => process.stdout.write(`${m}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { users: { type: 'string' }, engine: { type: 'string' }, 'mongodb-uri': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    log('usage: npx tsx scripts/bench/bulk.ts [--users N] [--engine auto|ferretdb|mongodb-memory-server] [--mongodb-uri URI]');
    return;
  }
  const operatorToken = `bench-operator-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({}, { ROSTER_OPERATOR_TOKEN: operatorToken, LOG_LEVEL: 'silent', ROSTER_BOOTSTRAP: false });
  const users = values.users === undefined ? config.bulk.maxOperations : Number(values.users);
  if (!Number.isInteger(users) || users < 1 || users > config.bulk.maxOperations) {
    throw new Error(`--users must be an integer from 1 to maxOperations (${config.bulk.maxOperations})`);
  }
  const engine = (values.engine ?? 'auto') as 'auto' | 'ferretdb' | 'mongodb-memory-server';
  if (!['auto', 'ferretdb', 'mongodb-memory-server'].includes(engine)) throw new Error(`--engine: unknown engine ${engine}`);

  const cleanup: (() => Promise<void> | void)[] = [];
  const runCleanup = async () => {
    for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch(() => undefined);
    cleanup.length = 0;
  };
  process.once('SIGINT', () => void runCleanup().then(() => process.exit(130)));
  try {
    let uri = values['mongodb-uri'];
    let embedded: EmbeddedDatabase | undefined;
    if (!uri) {
      const dataDir = mkdtempSync(join(tmpdir(), 'roster-bench-bulk-'));
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
      embedded = await startEmbeddedDatabase({ dataDir, mode: engine, projectRoot: config.projectRoot });
      const db = embedded;
      cleanup.push(() => db.stop());
      uri = embedded.uri;
    }
    const store: Store = await connectStore(uri, { dbName: `roster_bench_${Date.now()}_${randomBytes(3).toString('hex')}` });
    cleanup.push(async () => {
      if (!embedded) await store.connection.db?.dropDatabase().catch(() => undefined);
      await store.connection.close(true);
    });
    const logger = createLogger('silent');
    const app = createApp({ config, store, logger }, createServices({ config, store, logger }));
    const server: Server = createServer(app);
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    cleanup.push(() => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    });
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('the HTTP server has no address');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const operator = jsonClient(baseUrl, operatorToken, REQUEST_TIMEOUT_MS);
    const scimClient = async (name: string) => {
      const org = await operator.post('/api/v1/organizations', { name: `${name}-${Date.now()}` });
      const issued = await operator.post(`/api/v1/organizations/${String(org.id)}/tokens`, { name, scopes: ['scim'] });
      return jsonClient(baseUrl, String(issued.token), REQUEST_TIMEOUT_MS);
    };
    log(`database: ${store.capabilities.serverName}; ${users} user creations per side`);

    const single = await scimClient('bench-single');
    const t0 = performance.now();
    for (let i = 0; i < users; i++) await single.post('/scim/v2/Users', userBody(`single-${i}@example.com`));
    const singleMs = performance.now() - t0;

    const bulk = await scimClient('bench-bulk');
    const operations = Array.from({ length: users }, (_, i) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${i}`,
      data: userBody(`bulk-${i}@example.com`),
    }));
    const t1 = performance.now();
    const res = await bulk.post('/scim/v2/Bulk', { schemas: [BULK_REQUEST], Operations: operations });
    const bulkMs = performance.now() - t1;
    const results = res.Operations as { status: string }[];
    const created = results.filter((r) => r.status === '201').length;
    if (created !== users) throw new Error(`the bulk request created ${created} of ${users} users`);

    const row = (label: string, ms: number) =>
      `${label.padEnd(24)} ${(ms / 1000).toFixed(2).padStart(9)} s ${(ms / users).toFixed(2).padStart(10)} ms/user`;
    log(row('one by one (POST /Users)', singleMs));
    log(row('one POST /Bulk', bulkMs));
    log(`one-by-one / bulk: ${(singleMs / bulkMs).toFixed(2)}x`);
  } finally {
    await runCleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:bulk failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
