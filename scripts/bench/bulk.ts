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
import { Cleanup, newScimOrganization, runBench, startBenchRoster } from './lib/harness.js';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';

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

async function main(cleanup: Cleanup): Promise<void> {
  const { values } = parseArgs({
    options: { users: { type: 'string' }, engine: { type: 'string' }, 'mongodb-uri': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    log('usage: npx tsx scripts/bench/bulk.ts [--users N] [--engine auto|ferretdb|mongodb-memory-server] [--mongodb-uri URI]');
    return;
  }
  const maxOperations = loadConfig({}).bulk.maxOperations;
  const users = values.users === undefined ? maxOperations : Number(values.users);
  if (!Number.isInteger(users) || users < 1 || users > maxOperations) {
    throw new Error(`--users must be an integer from 1 to maxOperations (${maxOperations})`);
  }
  const engine = (values.engine ?? 'auto') as 'auto' | 'ferretdb' | 'mongodb-memory-server';
  if (!['auto', 'ferretdb', 'mongodb-memory-server'].includes(engine)) throw new Error(`--engine: unknown engine ${engine}`);

  const roster = await startBenchRoster(cleanup, { engine, mongodbUri: values['mongodb-uri'], requestTimeoutMs: REQUEST_TIMEOUT_MS, log });
  const scimClient = async (name: string) => (await newScimOrganization(roster, name)).scim;
  log(`database: ${roster.serverName}; ${users} user creations per side`);

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
}

await runBench('bench:bulk', main);
