import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { connectStore, type Store } from '../../src/store/connection.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/store/embedded-database.js';
import { createApp, createServices, type Services } from '../../src/app.js';
import type { Clock } from '../../src/domain/context.js';
import type { CreateOrganizationInput } from '../../src/domain/organizations.js';

export const OPERATOR_TOKEN = `test-operator-${randomBytes(16).toString('hex')}`;

interface Harness {
  config: Config;
  store: Store;
  services: Services;
  app: Express;
  clock: TestClock;
  embedded?: EmbeddedDatabase;
  dataDir?: string;
}

/** A clock the tests can move (retention, invitation expiry). */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

let harness: Harness | undefined;

/** The tests' configuration, with `overrides` (environment keys) on top. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig(process.env, {
    ROSTER_OPERATOR_TOKEN: OPERATOR_TOKEN,
    LOG_LEVEL: 'silent',
    ROSTER_BOOTSTRAP: false,
    BASE_URL: 'https://roster.test',
    // Password hashing at N=2^12 instead of the production 2^17, so hundreds of sign-ins stay fast;
    // rate limits off except in the tests that turn them on (test/integration/ops).
    ROSTER_SCRYPT_LOG_N: 12,
    ROSTER_RATE_LIMIT_PER_SECOND: 0,
    ROSTER_AUTH_FAILURES_PER_MINUTE: 0,
    ...overrides,
  });
}

/**
 * A second app on the harness's database and clock with other settings (SMTP, limits): the
 * organizations and tokens of newOrg() work on it. `services` shares the harness's when given.
 */
export function appWith(overrides: Record<string, unknown>, services?: Services): Express {
  const config = testConfig(overrides);
  return createApp({ config, store: h().store, logger: createLogger('silent'), clock: h().clock }, services);
}

export async function startHarness(): Promise<void> {
  if (harness) return;
  const config = testConfig();
  let uri = config.mongodbUri;
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  if (!uri) {
    dataDir = mkdtempSync(join(tmpdir(), 'roster-test-'));
    embedded = await startEmbeddedDatabase({ dataDir, mode: config.embeddedDb, projectRoot: config.projectRoot, ephemeral: true });
    uri = embedded.uri;
  }
  // A database of its own per run, so a shared MONGODB_URI server is never polluted across runs.
  const store = await connectStore(uri, {
    dbName: `roster_test_${Date.now()}_${randomBytes(3).toString('hex')}`,
    ...(embedded?.postgresUrl ? { postgresUrl: embedded.postgresUrl } : {}),
  });
  const clock = new TestClock();
  const logger = createLogger('silent');
  const services = createServices({ config, store, logger, clock });
  const app = createApp({ config, store, logger, clock }, services);
  harness = { config, store, services, app, clock, ...(embedded ? { embedded } : {}), ...(dataDir ? { dataDir } : {}) };
  process.stdout.write(`      (database: ${store.capabilities.serverName}${embedded ? `, embedded ${embedded.engine}` : ''})\n`);
}

export async function stopHarness(): Promise<void> {
  if (!harness) return;
  const h = harness;
  harness = undefined;
  if (!h.embedded) await h.store.connection.db?.dropDatabase().catch(() => undefined);
  await h.store.close();
  await h.embedded?.stop();
  if (h.dataDir) rmSync(h.dataDir, { recursive: true, force: true });
}

export function h(): Harness {
  if (!harness) throw new Error('the test harness is not started (global hooks not loaded?)');
  return harness;
}

export function api() {
  return supertest(h().app);
}

/** Requests to absolute paths with this bearer token (none: unauthenticated). */
export function withToken(token?: string) {
  const auth = (t: supertest.Test): supertest.Test => (token ? t.set('Authorization', `Bearer ${token}`) : t);
  return {
    get: (path: string) => auth(api().get(path)),
    post: (path: string, body?: unknown) => auth(api().post(path)).send((body ?? {}) as object),
    put: (path: string, body?: unknown) => auth(api().put(path)).send((body ?? {}) as object),
    patch: (path: string, body?: unknown) => auth(api().patch(path)).send((body ?? {}) as object),
    delete: (path: string) => auth(api().delete(path)),
  };
}

export interface TestOrg {
  id: string;
  scimToken: string;
  adminToken: string;
  /** supertest agent helpers that send the org's SCIM token */
  scim: {
    get(path: string): supertest.Test;
    post(path: string, body?: unknown): supertest.Test;
    put(path: string, body?: unknown): supertest.Test;
    patch(path: string, body?: unknown): supertest.Test;
    delete(path: string): supertest.Test;
  };
}

let orgCounter = 0;

/** A fresh organization with a scim and an admin token, created through the operator API. */
export async function newOrg(input: Partial<CreateOrganizationInput> = {}): Promise<TestOrg> {
  orgCounter += 1;
  const created = await api()
    .post('/api/v1/organizations')
    .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
    .send({ name: `org-${orgCounter}-${randomBytes(3).toString('hex')}`, ...input })
    .expect(201);
  const id = created.body.id as string;
  const scimToken = (
    await api()
      .post(`/api/v1/organizations/${id}/tokens`)
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'scim', scopes: ['scim'] })
      .expect(201)
  ).body.token as string;
  const adminToken = (
    await api()
      .post(`/api/v1/organizations/${id}/tokens`)
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'admin', scopes: ['admin'] })
      .expect(201)
  ).body.token as string;
  const auth = `Bearer ${scimToken}`;
  const base = '/scim/v2';
  const json = 'application/scim+json';
  return {
    id,
    scimToken,
    adminToken,
    scim: {
      get: (path) => api().get(base + path).set('Authorization', auth),
      post: (path, body) => api().post(base + path).set('Authorization', auth).set('Content-Type', json).send(JSON.stringify(body ?? {})),
      put: (path, body) => api().put(base + path).set('Authorization', auth).set('Content-Type', json).send(JSON.stringify(body ?? {})),
      patch: (path, body) => api().patch(base + path).set('Authorization', auth).set('Content-Type', json).send(JSON.stringify(body ?? {})),
      delete: (path) => api().delete(base + path).set('Authorization', auth),
    },
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A minimal valid user body. */
export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: userName.includes('@') ? userName : `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

/** Asserts an RFC 7644 3.12 error body with status as a string and the given scimType. */
export function expectScimError(res: supertest.Response, status: number, scimType?: string): void {
  if (res.status !== status) {
    throw new Error(`expected status ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const body = res.body as Record<string, unknown>;
  if (!String(res.headers['content-type']).startsWith('application/scim+json')) {
    throw new Error(`expected application/scim+json, got ${res.headers['content-type']}`);
  }
  if (!Array.isArray(body.schemas) || body.schemas[0] !== ERROR_SCHEMA) throw new Error(`not a SCIM error: ${JSON.stringify(body)}`);
  if (body.status !== String(status)) throw new Error(`status must be the string "${status}", got ${JSON.stringify(body.status)}`);
  if (scimType !== undefined && body.scimType !== scimType) {
    throw new Error(`expected scimType ${scimType}, got ${JSON.stringify(body.scimType)} (${String(body.detail)})`);
  }
  if (typeof body.detail !== 'string' || !body.detail) throw new Error('a SCIM error must carry a detail');
}
