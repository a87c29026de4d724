/**
 * Several Roster processes on one MongoDB database (README "Several processes"): two servers
 * (src/main.ts) on MONGODB_URI, parallel writes spread over both, then exact checks.
 *
 *   MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0' npx tsx scripts/reliability/multi-process.ts [--users 300] [--seats 100]
 *
 * - uniqueness: N creates over `distinct` userNames (each name sent several times, to both
 *   processes at once): every name exists exactly once, every other attempt answered 409 (or 403
 *   once the seats ran out); no 5xx.
 * - seats: the counter equals the users that hold seats, and never exceeds the limit.
 * - memberships: parallel member adds and removes over both processes leave exactly the expected set.
 *
 * On FerretDB 1.x the second process refuses to start (writer lease), which the script reports.
 * `--one-process` runs the same writes through one server (a dry run of the checks on an engine that
 * allows one process, such as FerretDB 1.x); it proves nothing about several processes.
 * Exit 0 when everything holds, 1 otherwise, 2 without MONGODB_URI.
 */
import { randomBytes } from 'node:crypto';
import { call, checkConsistency, createOrg, listAll, newOperatorToken, PATCH_OP, SCIM_GROUP, SCIM_USER, startServer, type Server } from './lib.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<number> {
  const base = process.env.MONGODB_URI;
  if (!base) {
    process.stderr.write('multi-process: set MONGODB_URI to a MongoDB server (a replica set in production); nothing was run.\n');
    return 2;
  }
  const attempts = arg('users', 300);
  const distinct = Math.ceil(attempts / 3);
  const seatLimit = arg('seats', Math.floor(distinct * 0.75));
  const [head, query] = base.split('?');
  const root = /^(mongodb(?:\+srv)?:\/\/[^/?]+)/.exec(head!)?.[1];
  if (!root) throw new Error('MONGODB_URI is not a mongodb:// URI');
  const uri = `${root}/roster_multiprocess_${randomBytes(4).toString('hex')}${query ? `?${query}` : ''}`;
  const operator = newOperatorToken();
  const env = { MONGODB_URI: uri, ROSTER_OPERATOR_TOKEN: operator, ROSTER_RATE_LIMIT_PER_SECOND: '0', ROSTER_READINESS_DRAIN_MS: '0' };

  const servers: Server[] = [];
  try {
    servers.push(await startServer(env));
    const onlyOne = process.argv.includes('--one-process');
    if (!onlyOne) {
      try {
        servers.push(await startServer(env));
      } catch (err) {
        process.stdout.write(`second process did not start: ${(err as Error).message}\n(FerretDB 1.x allows one process per database; use MongoDB.)\n`);
        return 1;
      }
    }
    const a = servers[0]!.url;
    const b = servers[servers.length - 1]!.url;
    const org = await createOrg(a, operator, { name: `multi-${Date.now()}`, seatLimit });
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

    // 1. Creates: each name sent three times, alternating processes, all at once.
    const started = Date.now();
    const creates = await Promise.all(
      Array.from({ length: attempts }, (_, i) => {
        const name = `user${i % distinct}@multi.example`;
        return call(i % 2 ? b : a, org.scimToken, 'POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: name, active: true });
      }),
    );
    creates.forEach((r) => count(r.status));
    const users = await listAll(a, org.scimToken, '/scim/v2/Users?attributes=userName');
    const names = users.map((u) => u.userName as string);
    if (new Set(names).size !== names.length) problems.push(`duplicate userNames stored: ${names.length - new Set(names).size}`);
    const created = creates.filter((r) => r.status === 201).length;
    if (created !== users.length) problems.push(`${created} creates answered 201 but ${users.length} users exist`);
    if (users.length > seatLimit) problems.push(`${users.length} active users over the seat limit ${seatLimit}`);
    if (users.length !== Math.min(distinct, seatLimit)) problems.push(`expected ${Math.min(distinct, seatLimit)} users, found ${users.length}`);
    const unexpected = creates.filter((r) => ![201, 409, 403].includes(r.status));
    if (unexpected.length) problems.push(`unexpected create answers: ${unexpected.map((r) => r.status).join(',')}`);

    // 2. Memberships: add every user through both processes at once (each add twice), then remove every third.
    const group = await call(a, org.scimToken, 'POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'everyone' });
    if (group.status !== 201) throw new Error(`group: ${group.status}`);
    const ids = (await listAll(a, org.scimToken, '/scim/v2/Users?attributes=id')).map((u) => u.id as string);
    const patch = (server: string, op: string, id: string) =>
      op === 'add'
        ? call(server, org.scimToken, 'PATCH', `/scim/v2/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })
        : call(server, org.scimToken, 'PATCH', `/scim/v2/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] });
    const adds = await Promise.all(ids.flatMap((id) => [patch(a, 'add', id), patch(b, 'add', id)]));
    adds.forEach((r) => count(r.status));
    const removed = new Set(ids.filter((_, i) => i % 3 === 0));
    const removes = await Promise.all([...removed].flatMap((id) => [patch(b, 'remove', id), patch(a, 'remove', id)]));
    removes.forEach((r) => count(r.status));
    const members = new Set(((await call(b, org.scimToken, 'GET', `/scim/v2/Groups/${group.body.id}`)).body.members ?? []).map((m: { value: string }) => m.value));
    const expected = ids.filter((id) => !removed.has(id));
    if (members.size !== expected.length || !expected.every((id) => members.has(id))) {
      problems.push(`group has ${members.size} members, expected exactly ${expected.length}`);
    }
    if ([...statuses.keys()].some((s) => s >= 500)) problems.push(`5xx answers: ${JSON.stringify(Object.fromEntries(statuses))}`);

    // 3. Seats and members, as every reliability script checks them.
    problems.push(...(await checkConsistency(b, org)));

    process.stdout.write(
      `multi-process: ${servers.length} process(es), ${attempts} creates over ${distinct} names (seat limit ${seatLimit}), ` +
        `${ids.length} users, ${adds.length} member adds, ${removes.length} removes in ${Date.now() - started} ms; ` +
        `answers ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
    if (!problems.length) process.stdout.write('OK: uniqueness, seats and memberships exact\n');
    return problems.length ? 1 : 0;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`multi-process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
