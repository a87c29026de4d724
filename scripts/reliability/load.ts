/**
 * Load: concurrent identity-provider clients against Roster on its embedded default database
 * (src/main.ts without MONGODB_URI, as `npm start`), then a consistency check. Not part of `npm test`.
 *
 *   npx tsx scripts/reliability/load.ts [--clients 50] [--duration 300] [--seats 150]
 *
 * Each of `clients` organizations has its own SCIM token, seat limit and group. autocannon keeps
 * `clients` connections busy; each pass of a connection is one provider transaction for the next
 * organization in turn: a lookup by userName filter, a create, a PATCH of the new user, a member
 * add, and every other pass a deactivation and a member removal. Afterwards: 5xx count, latency
 * percentiles, and per organization the seat counter against a recount (and the limit) and every
 * group member an existing user. Exit 1 on any 5xx or inconsistency.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PROJECT_ROOT, call, checkConsistency, createOrg, newOperatorToken, PATCH_OP, SCIM_GROUP, SCIM_USER, startServer, type Org } from './lib.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Client extends Org {
  groupId: string;
  seeds: string[];
}

interface Context {
  client?: Client;
  n?: number;
  userId?: string;
}

const SEEDS = 10;

async function main(): Promise<number> {
  const clients = option('clients', 50);
  const duration = option('duration', 300);
  const seatLimit = option('seats', 150);
  const dataDir = mkdtempSync(join(tmpdir(), 'roster-load-'));
  const operator = newOperatorToken();
  const metricsToken = newOperatorToken();
  const server = await startServer({ ROSTER_DATA_DIR: dataDir, ROSTER_OPERATOR_TOKEN: operator, ROSTER_METRICS_TOKEN: metricsToken, ROSTER_READINESS_DRAIN_MS: '0' });
  // The server's log (JSON lines) goes to reliability-results/load-server.log for the 5xx it may explain.
  mkdirSync(join(PROJECT_ROOT, 'reliability-results'), { recursive: true });
  server.child.stdout!.pipe(createWriteStream(join(PROJECT_ROOT, 'reliability-results', 'load-server.log')));
  try {
    const orgs: Client[] = [];
    for (let i = 0; i < clients; i++) {
      const org = await createOrg(server.url, operator, { name: `load-${i}`, seatLimit });
      const group = await call(server.url, org.scimToken, 'POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Engineering' });
      const seeds: string[] = [];
      for (let s = 0; s < SEEDS; s++) {
        const userName = `seed${s}@load${i}.example`;
        await call(server.url, org.scimToken, 'POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName, active: true });
        seeds.push(userName);
      }
      orgs.push({ ...org, groupId: group.body.id as string, seeds });
    }
    process.stdout.write(`load: ${clients} organizations ready (${SEEDS} users each, seat limit ${seatLimit}); ${duration} s of load\n`);

    let pass = 0;
    const json = { 'Content-Type': 'application/scim+json' };
    const auth = (c: Client) => ({ Authorization: `Bearer ${c.scimToken}` });
    const memberPatch = (op: 'add' | 'remove', id: string) =>
      JSON.stringify({
        schemas: [PATCH_OP],
        Operations: op === 'add' ? [{ op: 'add', path: 'members', value: [{ value: id }] }] : [{ op: 'remove', path: `members[value eq "${id}"]` }],
      });
    const needUser = (req: any, ctx: Context) =>
      // Create refused (seat limit): look a seed up instead, so the pass goes on.
      ctx.userId ? req : { ...req, method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${ctx.client!.seeds[0]}"`)}`, body: undefined };

    const result = await autocannon({
      url: server.url,
      connections: clients,
      duration,
      // A request the client gives up on still runs on the server; wait long rather than abandon it.
      timeout: 60,
      requests: [
        {
          // 1. lookup by userName (what Okta and Entra ID do before every create)
          setupRequest: (req: any, ctx: Context) => {
            pass += 1;
            ctx.n = pass;
            ctx.client = orgs[pass % orgs.length]!;
            const seed = ctx.client.seeds[pass % SEEDS]!;
            return { ...req, method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${seed}"`)}`, headers: auth(ctx.client) };
          },
        },
        {
          // 2. create
          setupRequest: (req: any, ctx: Context) => ({
            ...req,
            method: 'POST',
            path: '/scim/v2/Users',
            headers: { ...auth(ctx.client!), ...json },
            body: JSON.stringify({ schemas: [SCIM_USER], userName: `u${ctx.n}@load.example`, name: { givenName: 'Load', familyName: `N${ctx.n}` }, active: true }),
          }),
          onResponse: (status: number, body: string, ctx: Context) => {
            if (status === 201) ctx.userId = (JSON.parse(body) as { id: string }).id;
          },
        },
        {
          // 3. patch the new user
          setupRequest: (req: any, ctx: Context) =>
            needUser(
              {
                ...req,
                method: 'PATCH',
                path: `/scim/v2/Users/${ctx.userId}`,
                headers: { ...auth(ctx.client!), ...json },
                body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: `Load ${ctx.n}` }] }),
              },
              ctx,
            ),
        },
        {
          // 4. member add
          setupRequest: (req: any, ctx: Context) =>
            needUser({ ...req, method: 'PATCH', path: `/scim/v2/Groups/${ctx.client!.groupId}`, headers: { ...auth(ctx.client!), ...json }, body: memberPatch('add', ctx.userId!) }, ctx),
        },
        {
          // 5. every other pass: deactivate (frees the seat) ...
          setupRequest: (req: any, ctx: Context) =>
            needUser(
              ctx.n! % 2 === 0
                ? {
                    ...req,
                    method: 'PATCH',
                    path: `/scim/v2/Users/${ctx.userId}`,
                    headers: { ...auth(ctx.client!), ...json },
                    body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }),
                  }
                : { ...req, method: 'GET', path: `/scim/v2/Users/${ctx.userId}`, headers: auth(ctx.client!), body: undefined },
              ctx,
            ),
        },
        {
          // 6. ... and remove the member
          setupRequest: (req: any, ctx: Context) =>
            needUser(
              ctx.n! % 2 === 0
                ? { ...req, method: 'PATCH', path: `/scim/v2/Groups/${ctx.client!.groupId}`, headers: { ...auth(ctx.client!), ...json }, body: memberPatch('remove', ctx.userId!) }
                : { ...req, method: 'GET', path: `/scim/v2/Groups/${ctx.client!.groupId}?excludedAttributes=members`, headers: auth(ctx.client!), body: undefined },
              ctx,
            ),
        },
      ],
    } as autocannon.Options);

    const statuses: Record<string, number> = {};
    for (const [code, n] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (n as { count: number }).count;
    // Requests the server still handles (slow ones, abandoned by the client) must end before the
    // check, or it compares counters mid-write: wait until the scrape is the only request in flight.
    const settleStarted = Date.now();
    for (;;) {
      const scrape = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
      const inFlight = Number(/^roster_http_requests_in_flight (\S+)$/m.exec(await scrape.text())?.[1] ?? '0');
      if (inFlight <= 1 || Date.now() - settleStarted > 120_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const problems: string[] = [];
    for (const org of orgs) problems.push(...(await checkConsistency(server.url, org)).map((p) => `${org.id}: ${p}`));
    const fivexx = result['5xx'];
    process.stdout.write(
      [
        `requests: ${result.requests.total} in ${result.duration} s (${result.requests.average}/s average), ${clients} connections`,
        `statuses: ${JSON.stringify(statuses)}; 5xx: ${fivexx}; errors: ${result.errors}; timeouts: ${result.timeouts}`,
        `latency ms: p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`,
        `consistency (${orgs.length} organizations: seat counter = recount <= limit, members exist): ${problems.length ? `${problems.length} problems` : 'OK'}`,
        ...problems.slice(0, 20),
      ].join('\n') + '\n',
    );
    return fivexx > 0 || problems.length > 0 || result.errors > 0 ? 1 : 0;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`load failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
