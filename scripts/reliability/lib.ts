/**
 * Shared by the reliability scripts: start Roster (src/main.ts, what `npm start` runs) as a child
 * process, and small HTTP helpers. Nothing here runs in `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Server {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts src/main.ts with `env` on top of this process's; resolves once it listens. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    // LOG_LEVEL info: the "Roster is listening" line gives the port; later lines are read and dropped.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ROSTER_BOOTSTRAP: 'false', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let found = false;
    child.stdout!.on('data', (c: Buffer) => {
      if (found) return;
      out += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)\/scim\/v2"/.exec(out);
      if (m) {
        found = true;
        out = '';
        resolveUrl(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`Roster exited (${code}) before listening: ${err.trim()}`)));
  });
  return {
    child,
    url,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function newOperatorToken(): string {
  return `reliability-operator-${randomBytes(16).toString('hex')}`;
}

export async function call(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

export interface Org {
  id: string;
  scimToken: string;
  adminToken: string;
}

/** An organization with a scim and an admin token, through the operator API. */
export async function createOrg(base: string, operatorToken: string, input: Record<string, unknown>): Promise<Org> {
  const org = await call(base, operatorToken, 'POST', '/api/v1/organizations', input);
  if (org.status !== 201) throw new Error(`organization: ${org.status} ${JSON.stringify(org.body)}`);
  const token = async (scopes: string[]) => {
    const res = await call(base, operatorToken, 'POST', `/api/v1/organizations/${org.body.id}/tokens`, { name: scopes.join('+'), scopes });
    if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  return { id: org.body.id as string, scimToken: await token(['scim']), adminToken: await token(['admin']) };
}

/** Every page of a SCIM list (ids only). */
export async function listAll(base: string, token: string, path: string): Promise<any[]> {
  const out: any[] = [];
  for (let start = 1; ; start += 500) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await call(base, token, 'GET', `${path}${sep}startIndex=${start}&count=500`);
    if (res.status !== 200) throw new Error(`list ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...(res.body.Resources ?? []));
    if (out.length >= res.body.totalResults || (res.body.Resources ?? []).length === 0) return out;
  }
}

/**
 * The invariants after concurrent work on an organization: the seat counter equals a recount from
 * the users, never exceeds the limit, and every member of every group is an existing user.
 */
export async function checkConsistency(base: string, org: Org): Promise<string[]> {
  const problems: string[] = [];
  const seats = await call(base, org.adminToken, 'GET', '/api/v1/seats');
  const recount = await call(base, org.adminToken, 'POST', '/api/v1/seats/recount');
  if (seats.status !== 200 || recount.status !== 200) problems.push(`seats: ${seats.status}/${recount.status}`);
  else {
    if (seats.body.used !== recount.body.used) problems.push(`seat counter ${seats.body.used} != users holding seats ${recount.body.used}`);
    if (seats.body.limit !== null && seats.body.limit !== undefined && recount.body.used > seats.body.limit) {
      problems.push(`${recount.body.used} seats used over the limit ${seats.body.limit}`);
    }
  }
  const users = new Set((await listAll(base, org.scimToken, '/scim/v2/Users?attributes=id')).map((u) => u.id as string));
  const groups = await listAll(base, org.scimToken, '/scim/v2/Groups?attributes=members');
  for (const group of groups) {
    for (const member of (group.members ?? []) as { value: string }[]) {
      if (!users.has(member.value)) problems.push(`group ${group.id} has member ${member.value}, which is not a user`);
    }
  }
  return problems;
}
