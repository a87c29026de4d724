/**
 * Lifecycle events benchmark (issue 14): N user changes through SCIM (PATCH displayName, one after
 * the other) in an organization without an event stream and in one with a push stream to a local
 * receiver (127.0.0.1, answers 202), over HTTP to an in-process Roster with its event worker running.
 *
 * Usage:
 *
 *   npx tsx scripts/bench/events.ts                   # --changes 10000
 *   npx tsx scripts/bench/events.ts --changes 2000    # quicker
 *   npx tsx scripts/bench/events.ts --mongodb-uri mongodb://127.0.0.1:27017
 *
 * Flags:
 *   --changes N        measured changes per side (default 10000)
 *   --users U          users each organization gets first, unmeasured; changes go round-robin (default 500)
 *   --engine E         embedded database: auto | ferretdb | mongodb-memory-server (default auto)
 *   --mongodb-uri URI  use this server instead of a throwaway embedded one
 *   --deliver-after    start push delivery only after the measured changes (the relay's cost alone)
 *   --block B          the sides alternate in blocks of B changes (default 50)
 *
 * Prints for both sides the change requests' p50/p99, the ratio of the p50s, the events delivered
 * per second (first to last acknowledgement) and the time from the last change's answer to the
 * last acknowledged SET. Both organizations are seeded before either side is measured, so both
 * sides write into a collection of the same size. Talks to 127.0.0.1 only and cleans up after itself.
 */
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { Cleanup, newScimOrganization, runBench, startBenchRoster } from './lib/harness.js';
import { jsonClient } from './lib/http.js';
import { fmtMs, fmtRate, summarize } from './lib/stats.js';

const REQUEST_TIMEOUT_MS = 60_000;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const log = (m: string) => process.stdout.write(`${m}\n`);

const RECEIVER_SOURCE = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 202;
    res.end();
    parentPort.postMessage({ at: performance.timeOrigin + performance.now() });
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ url: 'http://127.0.0.1:' + server.address().port + '/events' }));
`;

interface Timed {
  samples: number[];
  totalMs: number;
}

/** Runs `op` n times one after the other (never concurrently), timing each call. */
async function timed(n: number, op: (i: number) => Promise<void>): Promise<Timed> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return { samples, totalMs: performance.now() - start };
}

function merge(parts: Timed[]) {
  return summarize(parts.flatMap((p) => p.samples), parts.reduce((t, p) => t + p.totalMs, 0));
}

async function main(cleanup: Cleanup): Promise<void> {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string' },
      users: { type: 'string' },
      engine: { type: 'string' },
      'mongodb-uri': { type: 'string' },
      'deliver-after': { type: 'boolean' },
      block: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    log('usage: npx tsx scripts/bench/events.ts [--changes N] [--users U] [--engine E] [--mongodb-uri URI]');
    return;
  }
  const changes = Number(values.changes ?? 10_000);
  const users = Number(values.users ?? 500);
  if (!Number.isInteger(changes) || changes < 1 || !Number.isInteger(users) || users < 1) throw new Error('--changes and --users must be positive integers');
  const engine = (values.engine ?? 'auto') as 'auto' | 'ferretdb' | 'mongodb-memory-server';

  // The receiver, in a worker thread so that its HTTP handling does not share Roster's event loop:
  // it answers 202 and reports each SET's arrival time (performance.timeOrigin-based, comparable).
  let received = 0;
  let firstAck = 0;
  let lastAck = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  const worker = new Worker(RECEIVER_SOURCE, { eval: true });
  cleanup.add('stop the receiver', () => worker.terminate().then(() => undefined));
  const receiverUrl = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { url: string }) => resolve(m.url));
  });
  worker.on('message', (m: { at?: number }) => {
    if (m.at === undefined) return;
    received += 1;
    lastAck = m.at - performance.timeOrigin;
    if (received === 1) firstAck = lastAck;
    if (waiter && received >= waiter.n) waiter.resolve();
  });

  const roster = await startBenchRoster(cleanup, { engine, mongodbUri: values['mongodb-uri'], requestTimeoutMs: REQUEST_TIMEOUT_MS, log });
  // --deliver-after: the worker starts only after the measured changes (the relay's share alone).
  if (!values['deliver-after']) roster.services.events.start();
  cleanup.add('stop the event worker', () => roster.services.events.stop());
  log(`database: ${roster.serverName}; ${users} users per organization, ${changes} changes per side`);

  // Both organizations' users are created alternately: on an engine that answers a query by
  // scanning until the first match (FerretDB 1.x), a user's place in the collection sets its cost,
  // so neither side may have all the early places.
  const without = { ...(await newScimOrganization(roster, 'plain')), ids: [] as string[] };
  const withStream = { ...(await newScimOrganization(roster, 'streamed')), ids: [] as string[] };
  for (let i = 0; i < users; i++) {
    for (const org of [without, withStream]) {
      const userName = `${org === without ? 'plain' : 'streamed'}-${i}@example.com`;
      const created = await org.scim.post('/scim/v2/Users', { schemas: [USER_SCHEMA], userName, emails: [{ value: userName, primary: true }] });
      org.ids.push(String(created.id));
    }
  }

  // The stream is created after seeding: only the measured changes make events.
  const adminToken = String(
    (await roster.operator.post(`/api/v1/organizations/${withStream.orgId}/tokens`, { name: 'admin', scopes: ['admin'] })).token,
  );
  await jsonClient(roster.baseUrl, adminToken, REQUEST_TIMEOUT_MS).post('/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiverUrl },
    events_requested: ['urn:ietf:params:scim:event:prov:patch:notice'],
  });

  const patch = (org: typeof without) => async (i: number) => {
    const id = org.ids[Math.abs(i) % org.ids.length]!;
    const res = await fetch(`${roster.baseUrl}/scim/v2/Users/${id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${org.token}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: `change ${i}` }] }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`PATCH answered ${res.status}`);
  };

  // Alternating blocks of each side, so that neither runs on a quieter machine or a smaller
  // database than the other (the machine is shared; the audit collection grows with every change).
  const block = Math.max(1, Math.min(changes, Number(values.block ?? 50)));
  const plainParts: Timed[] = [];
  const streamedParts: Timed[] = [];
  for (let done = 0; done < changes; done += block) {
    const n = Math.min(block, changes - done);
    plainParts.push(await timed(n, (i) => patch(without)(done + i)));
    streamedParts.push(await timed(n, (i) => patch(withStream)(done + i)));
  }
  const plain = merge(plainParts);
  const streamed = merge(streamedParts);
  const lastChange = performance.now();
  if (values['deliver-after']) roster.services.events.start();
  await new Promise<void>((resolve) => {
    if (received >= changes) resolve();
    else waiter = { n: changes, resolve };
  });
  const tail = lastAck - lastChange;

  log('side               p50 ms   p99 ms   changes/s');
  log(`without stream  ${fmtMs(plain.p50Ms).padStart(9)} ${fmtMs(plain.p99Ms).padStart(8)} ${fmtRate(plain.rps).padStart(11)}`);
  log(`with push       ${fmtMs(streamed.p50Ms).padStart(9)} ${fmtMs(streamed.p99Ms).padStart(8)} ${fmtRate(streamed.rps).padStart(11)}`);
  log(`p50 with / without: ${(streamed.p50Ms / plain.p50Ms).toFixed(3)}x`);
  log(`events delivered: ${received}; ${fmtRate((received * 1000) / Math.max(1, lastAck - firstAck))} events/s (first to last acknowledgement)`);
  log(`last change answered → last SET acknowledged: ${fmtMs(Math.max(0, tail))} ms`);
}

await runBench('bench:events', main);
