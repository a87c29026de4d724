import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import {
  api,
  appWith,
  ENTERPRISE,
  expectScimError,
  h,
  newOrg,
  OPERATOR_TOKEN,
  PATCH_OP,
  USER_SCHEMA,
  userBody,
  type TestOrg,
} from '../../support/harness.js';
import {
  documentedRoutes,
  expectMatchesContract,
  HTTP_METHODS,
  openapiDocument,
  resolveRef,
  servedRoutes,
} from '../../support/openapi-contract.js';
import { boom, check, expectNoInternals, failing, withStub } from '../../support/contract-coverage.js';
import { bulkContractTests } from './bulk-contract.js';

const LIFECYCLE = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';
const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const USERS = '/scim/v2/Users';
const USER = '/scim/v2/Users/{id}';
const ORGS = '/api/v1/organizations';
const TOKENS = '/api/v1/organizations/{id}/tokens';

/** Over ROSTER_BODY_LIMIT (1mb in the harness). */
const oversized = () => JSON.stringify({ userName: 'big@example.com', padding: 'x'.repeat(1_100_000) });
/** body-parser reads UTF-8 only; another charset is 415. */
const LATIN1_SCIM = 'application/scim+json; charset=latin1';

async function createUser(org: TestOrg, userName: string, extra: Record<string, unknown> = {}): Promise<{ id: string; etag: string }> {
  const res = await org.scim.post('/Users', userBody(userName, extra)).expect(201);
  return { id: res.body.id as string, etag: res.headers.etag as string };
}

const operator = () => ({
  get: (path: string) => api().get(path).set('Authorization', `Bearer ${OPERATOR_TOKEN}`),
  post: (path: string, body: unknown) => api().post(path).set('Authorization', `Bearer ${OPERATOR_TOKEN}`).send(body as object),
});

describe('OpenAPI document', () => {
  describe('the document itself', () => {
    it('is OpenAPI 3.1 whose every local $ref resolves and whose operations have unique ids', () => {
      const doc = openapiDocument();
      expect(doc.openapi).to.match(/^3\.1\./);
      const refs: string[] = [];
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(visit);
        else if (node && typeof node === 'object') {
          for (const [key, value] of Object.entries(node)) {
            if (key === '$ref' && typeof value === 'string') refs.push(value);
            else visit(value);
          }
        }
      };
      visit(doc);
      expect(refs).to.not.be.empty;
      for (const ref of refs) expect(() => resolveRef(ref), ref).to.not.throw();
      const ids = Object.values(doc.paths).flatMap((item) =>
        HTTP_METHODS.filter((m) => item[m]).map((m) => (item[m] as { operationId?: string }).operationId),
      );
      expect(ids.every((id) => typeof id === 'string')).to.equal(true);
      expect(new Set(ids).size).to.equal(ids.length);
    });

    it('declares every path template parameter, and only those', () => {
      const doc = openapiDocument();
      for (const [path, item] of Object.entries(doc.paths)) {
        const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        for (const method of HTTP_METHODS) {
          if (!item[method]) continue;
          const params = [...((item.parameters as unknown[]) ?? []), ...(((item[method] as { parameters?: unknown[] }).parameters) ?? [])]
            .map((p) => ((p as { $ref?: string }).$ref ? resolveRef<{ name: string; in: string }>((p as { $ref: string }).$ref) : (p as { name: string; in: string })))
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort();
          expect(params, `${method.toUpperCase()} ${path}`).to.deep.equal(inTemplate);
        }
      }
    });

    it('describes exactly the routes the app serves, no more and no fewer', () => {
      // With ROSTER_METRICS_TOKEN, as a deployment that is scraped runs: /metrics is served only then.
      const app = appWith({ ROSTER_METRICS_TOKEN: 'metrics-token-for-the-route-list-0123' });
      const served = servedRoutes(app as unknown as Parameters<typeof servedRoutes>[0]);
      const documented = documentedRoutes();
      expect(served.filter((r) => !documented.includes(r)), 'served but not documented').to.deep.equal([]);
      expect(documented.filter((r) => !served.includes(r)), 'documented but not served').to.deep.equal([]);
      expect(served).to.include('GET /openapi.json');
    });

    it('rejects responses the document does not allow: unlisted status, wrong content type, a leaked password', () => {
      const fake = (status: number, contentType: string, body: unknown) =>
        ({ status, headers: { 'content-type': contentType, etag: 'W/"1"' }, text: JSON.stringify(body) }) as unknown as supertest.Response;
      const user = { schemas: [USER_SCHEMA], id: 'u1', userName: 'ada@example.com' };
      expect(() => expectMatchesContract('get', USER, fake(200, 'application/scim+json; charset=utf-8', user))).to.not.throw();
      expect(() => expectMatchesContract('get', USER, fake(418, 'application/scim+json', user))).to.throw(/status 418 is not in the document/);
      expect(() => expectMatchesContract('get', USER, fake(200, 'application/json', user))).to.throw(/content type/);
      expect(() => expectMatchesContract('get', USER, fake(200, 'application/scim+json', { ...user, password: 'x' }))).to.throw(/password/);
      const numericStatus = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: 404, detail: 'x' };
      expect(() => expectMatchesContract('get', USER, fake(404, 'application/scim+json', numericStatus))).to.throw(/status/);
    });

    it('puts the scope each route needs in its security requirement, and none on public routes', () => {
      const doc = openapiDocument();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of HTTP_METHODS) {
          const op = item[method] as { security?: Record<string, string[]>[] } | undefined;
          if (!op) continue;
          expect(op.security, `${method} ${path}`).to.be.an('array');
          const scopes = (op.security ?? []).flatMap((s) => s.bearerAuth ?? []);
          const expected = path === '/api/v1/invitations/accept' || path === '/api/v1/password-resets/complete'
            ? []
            : path.startsWith('/api/v1/sessions')
            ? ['signin']
            : path.startsWith('/api/v1/organizations')
            ? ['operator']
            : path.startsWith('/api/v1/') || (path.startsWith('/ssf/') && path !== '/ssf/jwks')
            ? ['admin']
            : path.startsWith('/scim/v2/Users') || path.startsWith('/scim/v2/Groups') || path === '/scim/v2/.search' || path === '/scim/v2/Bulk'
              ? ['scim']
              : [];
          expect(scopes, `${method} ${path}`).to.deep.equal(expected);
        }
      }
    });
  });

  bulkContractTests(check);

  describe('GET /openapi.json', () => {
    it('serves the document without a token, with servers set to the base URL', async () => {
      const res = check('get', '/openapi.json', await api().get('/openapi.json'), 200);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      expect(res.body.servers).to.deep.equal([{ url: 'https://roster.test' }]);
      const onDisk = JSON.parse(readFileSync(join(h().config.projectRoot, 'openapi', 'openapi.json'), 'utf8')) as Record<string, unknown>;
      expect({ ...res.body, servers: onDisk.servers }).to.deep.equal(onDisk);
    });
  });

  describe('health', () => {
    it('GET /healthz answers 200', async () => {
      check('get', '/healthz', await api().get('/healthz'), 200);
    });

    it('GET /readyz answers 200 with the database up and 503 without it', async () => {
      check('get', '/readyz', await api().get('/readyz'), 200);
      await withStub(h().store, 'ping', boom, async () => {
        const res = check('get', '/readyz', await api().get('/readyz'), 503);
        expect(res.body).to.deep.equal({ status: 'unavailable', database: 'unreachable' });
      });
    });
  });

  describe('GET /scim/v2/Users', () => {
    it('answers 200 with full users, including the enterprise and lifecycle extensions', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com', { [ENTERPRISE]: { organization: 'Acme', manager: { value: 'm-1' } }, schemas: [USER_SCHEMA, ENTERPRISE] });
      const res = check('get', USERS, await org.scim.get('/Users'), 200);
      expect(res.body.Resources).to.have.length(1);
      expect(res.body.Resources[0][LIFECYCLE].status).to.equal('active');
      expect(res.body.Resources[0][ENTERPRISE].organization).to.equal('Acme');
    });

    it('answers 200 with projected users, and an empty list for an unknown userName', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com');
      const projected = check('get', USERS, await org.scim.get('/Users?attributes=userName&count=5'), 200);
      expect(Object.keys(projected.body.Resources[0]).sort()).to.deep.equal(['id', 'schemas', 'userName'].sort());
      const none = check('get', USERS, await org.scim.get('/Users?filter=' + encodeURIComponent('userName eq "nobody@example.com"')), 200);
      expect(none.body.totalResults).to.equal(0);
    });

    it('answers 400 invalidFilter for a filter that does not parse', async () => {
      const org = await newOrg();
      expectScimError(check('get', USERS, await org.scim.get('/Users?filter=userName%20eq'), 400), 400, 'invalidFilter');
    });

    it('answers 401 without a token and with an unknown one, and 403 to an admin token', async () => {
      const org = await newOrg();
      const none = check('get', USERS, await api().get(USERS), 401);
      expect(none.headers['www-authenticate']).to.match(/^Bearer/);
      check('get', USERS, await api().get(USERS).set('Authorization', 'Bearer rst.000000000000000000000000.nope'), 401);
      expectScimError(check('get', USERS, await api().get(USERS).set('Authorization', `Bearer ${org.adminToken}`), 403), 403);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      await withStub(h().services.users, 'list', boom, async () => {
        expectNoInternals(check('get', USERS, await org.scim.get('/Users'), 500));
      });
    });
  });

  describe('POST /scim/v2/Users', () => {
    it('answers 201 with Location and ETag, for application/scim+json and application/json', async () => {
      const org = await newOrg();
      const res = check('post', USERS, await org.scim.post('/Users', userBody('ada@example.com', { password: 's3cret-Pa55' })), 201);
      expect(res.body).to.not.have.property('password');
      const plain = await api()
        .post(USERS)
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(userBody('grace@example.com')));
      check('post', USERS, plain, 201);
      check('get', USER, await org.scim.get(`/Users/${res.body.id as string}`), 200);
    });

    it('answers 400 invalidValue without userName and invalidSyntax for a body that is not JSON', async () => {
      const org = await newOrg();
      expectScimError(check('post', USERS, await org.scim.post('/Users', { schemas: [USER_SCHEMA] }), 400), 400, 'invalidValue');
      const broken = await api()
        .post(USERS)
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send('{"userName": ');
      expectScimError(check('post', USERS, broken, 400), 400, 'invalidSyntax');
    });

    it('answers 401 without a token and 403 to an admin token', async () => {
      const org = await newOrg();
      check('post', USERS, await api().post(USERS).send(userBody('ada@example.com')), 401);
      check('post', USERS, await api().post(USERS).set('Authorization', `Bearer ${org.adminToken}`).send(userBody('ada@example.com')), 403);
    });

    it('answers 409 uniqueness for a taken userName', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com');
      expectScimError(check('post', USERS, await org.scim.post('/Users', userBody('ADA@example.com')), 409), 409, 'uniqueness');
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const org = await newOrg();
      const big = await api().post(USERS).set('Authorization', `Bearer ${org.scimToken}`).set('Content-Type', 'application/scim+json').send(oversized());
      expectScimError(check('post', USERS, big, 413), 413, 'tooLarge');
      const latin1 = await api().post(USERS).set('Authorization', `Bearer ${org.scimToken}`).set('Content-Type', LATIN1_SCIM).send(JSON.stringify(userBody('ada@example.com')));
      expectScimError(check('post', USERS, latin1, 415), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      await withStub(h().services.users, 'create', boom, async () => {
        expectNoInternals(check('post', USERS, await org.scim.post('/Users', userBody('ada@example.com')), 500));
      });
    });
  });

  for (const [SEARCH, relative] of [
    ['/scim/v2/Users/.search', '/Users/.search'],
    ['/scim/v2/.search', '/.search'],
  ] as const) {
  describe(`POST ${SEARCH}`, () => {
    it('answers 200 with a page of users, with and without a body', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com');
      const res = check(
        'post',
        SEARCH,
        await org.scim.post(relative, { schemas: [SEARCH_REQUEST], filter: 'userName sw "ada"', attributes: ['userName'], count: 10 }),
        200,
      );
      expect(res.body.totalResults).to.equal(1);
      check('post', SEARCH, await api().post(SEARCH).set('Authorization', `Bearer ${org.scimToken}`), 200);
    });

    it('answers 400 invalidSyntax for a body without the SearchRequest schema', async () => {
      const org = await newOrg();
      expectScimError(check('post', SEARCH, await org.scim.post(relative, { schemas: ['urn:nope'] }), 400), 400, 'invalidSyntax');
    });

    it('answers 401 without a token and 403 to an admin token', async () => {
      const org = await newOrg();
      check('post', SEARCH, await api().post(SEARCH).send({}), 401);
      check('post', SEARCH, await api().post(SEARCH).set('Authorization', `Bearer ${org.adminToken}`).send({}), 403);
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const org = await newOrg();
      const auth = `Bearer ${org.scimToken}`;
      check('post', SEARCH, await api().post(SEARCH).set('Authorization', auth).set('Content-Type', 'application/scim+json').send(oversized()), 413);
      check('post', SEARCH, await api().post(SEARCH).set('Authorization', auth).set('Content-Type', LATIN1_SCIM).send('{}'), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      await withStub(h().services.users, 'list', boom, async () => {
        expectNoInternals(check('post', SEARCH, await org.scim.post(relative, {}), 500));
      });
    });
  });
  }

  describe('GET /scim/v2/Users/{id}', () => {
    it('answers 200 with the user and its ETag, also when projected', async () => {
      const org = await newOrg();
      const { id, etag } = await createUser(org, 'ada@example.com');
      const res = check('get', USER, await org.scim.get(`/Users/${id}`), 200);
      expect(res.headers.etag).to.equal(etag);
      check('get', USER, await org.scim.get(`/Users/${id}?excludedAttributes=emails,name`), 200);
    });

    it('answers 401, 403, and 404 for an unknown, deleted or other tenant\'s user', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      check('get', USER, await api().get(`${USERS}/${id}`), 401);
      check('get', USER, await api().get(`${USERS}/${id}`).set('Authorization', `Bearer ${org.adminToken}`), 403);
      expectScimError(check('get', USER, await org.scim.get('/Users/nope'), 404), 404);
      expectScimError(check('get', USER, await other.scim.get(`/Users/${id}`), 404), 404);
      await org.scim.delete(`/Users/${id}`).expect(204);
      expectScimError(check('get', USER, await org.scim.get(`/Users/${id}`), 404), 404);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      await withStub(h().services.users, 'get', boom, async () => {
        expectNoInternals(check('get', USER, await org.scim.get(`/Users/${id}`), 500));
      });
    });
  });

  describe('PUT /scim/v2/Users/{id}', () => {
    it('answers 200 with the replaced user, and with a matching If-Match', async () => {
      const org = await newOrg();
      const { id, etag } = await createUser(org, 'ada@example.com');
      const res = check('put', USER, await org.scim.put(`/Users/${id}`, userBody('ada@example.com', { title: 'Countess' })).set('If-Match', etag), 200);
      expect(res.body.title).to.equal('Countess');
      expect(res.headers.etag).to.not.equal(etag);
      const read = check('get', USER, await org.scim.get(`/Users/${id}`), 200);
      expect(read.body.title).to.equal('Countess');
    });

    it('answers 400 invalidValue for a wrongly typed attribute', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      expectScimError(check('put', USER, await org.scim.put(`/Users/${id}`, userBody('ada@example.com', { active: 'maybe' })), 400), 400, 'invalidValue');
    });

    it('answers 401, 403 and 404', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      check('put', USER, await api().put(`${USERS}/${id}`).send(userBody('ada@example.com')), 401);
      check('put', USER, await api().put(`${USERS}/${id}`).set('Authorization', `Bearer ${org.adminToken}`).send(userBody('ada@example.com')), 403);
      expectScimError(check('put', USER, await org.scim.put('/Users/nope', userBody('ada@example.com')), 404), 404);
    });

    it('answers 409 uniqueness for a userName another user holds', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com');
      const { id } = await createUser(org, 'grace@example.com');
      expectScimError(check('put', USER, await org.scim.put(`/Users/${id}`, userBody('Ada@example.com')), 409), 409, 'uniqueness');
    });

    it('answers 412 for a stale If-Match', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      expectScimError(check('put', USER, await org.scim.put(`/Users/${id}`, userBody('ada@example.com')).set('If-Match', 'W/"999"'), 412), 412);
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      const auth = `Bearer ${org.scimToken}`;
      check('put', USER, await api().put(`${USERS}/${id}`).set('Authorization', auth).set('Content-Type', 'application/scim+json').send(oversized()), 413);
      check('put', USER, await api().put(`${USERS}/${id}`).set('Authorization', auth).set('Content-Type', LATIN1_SCIM).send(JSON.stringify(userBody('ada@example.com'))), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      await withStub(h().services.users, 'replace', boom, async () => {
        expectNoInternals(check('put', USER, await org.scim.put(`/Users/${id}`, userBody('ada@example.com')), 500));
      });
    });
  });

  describe('PATCH /scim/v2/Users/{id}', () => {
    const deactivate = { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { active: 'False' } }] };

    it('answers 200 with the modified user', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      const res = check('patch', USER, await org.scim.patch(`/Users/${id}`, deactivate), 200);
      expect(res.body.active).to.equal(false);
      expect(res.body[LIFECYCLE].status).to.equal('suspended');
      const read = check('get', USER, await org.scim.get(`/Users/${id}`), 200);
      expect(read.body[LIFECYCLE].status).to.equal('suspended');
    });

    it('answers 400 invalidSyntax for a body without the PatchOp schema', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      expectScimError(check('patch', USER, await org.scim.patch(`/Users/${id}`, { Operations: [] }), 400), 400, 'invalidSyntax');
    });

    it('answers 401, 403 and 404', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      check('patch', USER, await api().patch(`${USERS}/${id}`).send(deactivate), 401);
      check('patch', USER, await api().patch(`${USERS}/${id}`).set('Authorization', `Bearer ${org.adminToken}`).send(deactivate), 403);
      expectScimError(check('patch', USER, await org.scim.patch('/Users/nope', deactivate), 404), 404);
    });

    it('answers 409 uniqueness for a userName another user holds', async () => {
      const org = await newOrg();
      await createUser(org, 'ada@example.com');
      const { id } = await createUser(org, 'grace@example.com');
      const rename = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'ADA@example.com' }] };
      expectScimError(check('patch', USER, await org.scim.patch(`/Users/${id}`, rename), 409), 409, 'uniqueness');
    });

    it('answers 412 for a stale If-Match', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      expectScimError(check('patch', USER, await org.scim.patch(`/Users/${id}`, deactivate).set('If-Match', 'W/"999"'), 412), 412);
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      const auth = `Bearer ${org.scimToken}`;
      check('patch', USER, await api().patch(`${USERS}/${id}`).set('Authorization', auth).set('Content-Type', 'application/scim+json').send(oversized()), 413);
      check('patch', USER, await api().patch(`${USERS}/${id}`).set('Authorization', auth).set('Content-Type', LATIN1_SCIM).send(JSON.stringify(deactivate)), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      await withStub(h().services.users, 'patch', boom, async () => {
        expectNoInternals(check('patch', USER, await org.scim.patch(`/Users/${id}`, deactivate), 500));
      });
    });
  });

  describe('DELETE /scim/v2/Users/{id}', () => {
    it('answers 204 with no body, and the user is gone', async () => {
      const org = await newOrg();
      const { id, etag } = await createUser(org, 'ada@example.com');
      check('delete', USER, await org.scim.delete(`/Users/${id}`).set('If-Match', etag), 204);
      check('get', USER, await org.scim.get(`/Users/${id}`), 404);
    });

    it('answers 401, 403, 404 and 412', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      check('delete', USER, await api().delete(`${USERS}/${id}`), 401);
      check('delete', USER, await api().delete(`${USERS}/${id}`).set('Authorization', `Bearer ${org.adminToken}`), 403);
      check('delete', USER, await org.scim.delete('/Users/nope'), 404);
      check('delete', USER, await org.scim.delete(`/Users/${id}`).set('If-Match', 'W/"999"'), 412);
      check('get', USER, await org.scim.get(`/Users/${id}`), 200);
    });

    it('answers 409 when the user keeps changing under it', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      await withStub(h().services.users.repo, 'replace', async () => false, async () => {
        expectScimError(check('delete', USER, await org.scim.delete(`/Users/${id}`), 409), 409);
      });
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@example.com');
      await withStub(h().services.users, 'remove', boom, async () => {
        expectNoInternals(check('delete', USER, await org.scim.delete(`/Users/${id}`), 500));
      });
    });
  });

  describe('SCIM discovery', () => {
    it('GET /ServiceProviderConfig answers 200 without a token', async () => {
      check('get', '/scim/v2/ServiceProviderConfig', await api().get('/scim/v2/ServiceProviderConfig'), 200);
    });

    it('GET /ResourceTypes and each resource type answer 200; an unknown one 404', async () => {
      const list = check('get', '/scim/v2/ResourceTypes', await api().get('/scim/v2/ResourceTypes'), 200);
      for (const rt of list.body.Resources as { id: string }[]) {
        check('get', '/scim/v2/ResourceTypes/{id}', await api().get(`/scim/v2/ResourceTypes/${rt.id}`), 200);
      }
      expectScimError(check('get', '/scim/v2/ResourceTypes/{id}', await api().get('/scim/v2/ResourceTypes/Nope'), 404), 404);
    });

    it('GET /Schemas and each schema answer 200; an unknown one 404', async () => {
      const list = check('get', '/scim/v2/Schemas', await api().get('/scim/v2/Schemas'), 200);
      expect(list.body.Resources.map((s: { id: string }) => s.id)).to.include(LIFECYCLE);
      for (const schema of list.body.Resources as { id: string }[]) {
        check('get', '/scim/v2/Schemas/{id}', await api().get(`/scim/v2/Schemas/${encodeURIComponent(schema.id)}`), 200);
      }
      expectScimError(check('get', '/scim/v2/Schemas/{id}', await api().get('/scim/v2/Schemas/urn:nope'), 404), 404);
    });

    it('answers 403 to a filter on every discovery endpoint (RFC 7644 section 4) and ignores paging and sorting', async () => {
      const filter = `filter=${encodeURIComponent('id eq "User"')}`;
      for (const [template, path] of [
        ['/scim/v2/ServiceProviderConfig', '/scim/v2/ServiceProviderConfig'],
        ['/scim/v2/ResourceTypes', '/scim/v2/ResourceTypes'],
        ['/scim/v2/ResourceTypes/{id}', '/scim/v2/ResourceTypes/User'],
        ['/scim/v2/Schemas', '/scim/v2/Schemas'],
        ['/scim/v2/Schemas/{id}', `/scim/v2/Schemas/${encodeURIComponent(USER_SCHEMA)}`],
      ]) {
        const res = check('get', template!, await api().get(`${path}?${filter}`), 403);
        expectScimError(res, 403);
        expect(res.body.detail, path).to.match(/do not filter/);
      }
      const all = await api().get('/scim/v2/Schemas').expect(200);
      const paged = await api().get('/scim/v2/Schemas?startIndex=2&count=1&sortBy=id&sortOrder=descending').expect(200);
      expect(paged.body).to.deep.equal(all.body);
    });
  });

  describe('POST /api/v1/organizations', () => {
    it('answers 201 with the organization', async () => {
      const res = check('post', ORGS, await operator().post(ORGS, { name: 'Acme', domains: ['Acme.com'], seatLimit: 5 }), 201);
      const listed = check('get', ORGS, await operator().get(`${ORGS}?offset=0&limit=500`), 200);
      expect(listed.body.total).to.be.at.least(1);
      expect(res.body.domains).to.deep.equal(['acme.com']);
    });

    it('answers 400 problem details naming the field', async () => {
      const res = check('post', ORGS, await operator().post(ORGS, { name: 'Bad', domains: ['not a domain'] }), 400);
      expect(res.body.detail).to.include('domains.0');
    });

    it('answers 401 without a token and 403 to an organization token', async () => {
      const org = await newOrg();
      check('post', ORGS, await api().post(ORGS).send({ name: 'x' }), 401);
      check('post', ORGS, await api().post(ORGS).set('Authorization', `Bearer ${org.adminToken}`).send({ name: 'x' }), 403);
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const auth = `Bearer ${OPERATOR_TOKEN}`;
      check('post', ORGS, await api().post(ORGS).set('Authorization', auth).set('Content-Type', 'application/json').send(oversized()), 413);
      check('post', ORGS, await api().post(ORGS).set('Authorization', auth).set('Content-Type', 'application/json; charset=latin1').send('{"name":"x"}'), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      await withStub(h().services.organizations, 'create', boom, async () => {
        expectNoInternals(check('post', ORGS, await operator().post(ORGS, { name: 'Acme' }), 500));
      });
    });
  });

  describe('GET /api/v1/organizations', () => {
    it('answers 200 with a page that includes a new organization', async () => {
      const org = await newOrg();
      const res = check('get', ORGS, await operator().get(`${ORGS}?limit=500`), 200);
      if (res.body.total <= 500) expect(res.body.items.map((o: { id: string }) => o.id)).to.include(org.id);
    });

    it('answers 400 for a limit out of range, 401 without a token, 403 to an organization token', async () => {
      const org = await newOrg();
      check('get', ORGS, await operator().get(`${ORGS}?limit=0`), 400);
      check('get', ORGS, await api().get(ORGS), 401);
      check('get', ORGS, await api().get(ORGS).set('Authorization', `Bearer ${org.scimToken}`), 403);
    });

    it('answers 500 without internals when the service fails', async () => {
      await withStub(h().services.organizations, 'list', boom, async () => {
        expectNoInternals(check('get', ORGS, await operator().get(ORGS), 500));
      });
    });
  });

  describe('POST /api/v1/organizations/{id}/tokens', () => {
    it('answers 201 with the secret once', async () => {
      const org = await newOrg();
      const res = check('post', TOKENS, await operator().post(`${ORGS}/${org.id}/tokens`, { name: 'okta', scopes: ['scim'] }), 201);
      await api().get(USERS).set('Authorization', `Bearer ${res.body.token as string}`).expect(200);
    });

    it('answers 400 for an operator scope or no scopes, and 404 for an unknown organization', async () => {
      const org = await newOrg();
      check('post', TOKENS, await operator().post(`${ORGS}/${org.id}/tokens`, { name: 'x', scopes: ['operator'] }), 400);
      check('post', TOKENS, await operator().post(`${ORGS}/${org.id}/tokens`, { name: 'x', scopes: [] }), 400);
      check('post', TOKENS, await operator().post(`${ORGS}/nope/tokens`, { name: 'x', scopes: ['scim'] }), 404);
    });

    it('answers 401 without a token and 403 to an organization token', async () => {
      const org = await newOrg();
      check('post', TOKENS, await api().post(`${ORGS}/${org.id}/tokens`).send({ name: 'x', scopes: ['scim'] }), 401);
      check('post', TOKENS, await api().post(`${ORGS}/${org.id}/tokens`).set('Authorization', `Bearer ${org.adminToken}`).send({ name: 'x', scopes: ['scim'] }), 403);
    });

    it('answers 413 for a body over the limit and 415 for a charset other than UTF-8', async () => {
      const org = await newOrg();
      const auth = `Bearer ${OPERATOR_TOKEN}`;
      const path = `${ORGS}/${org.id}/tokens`;
      check('post', TOKENS, await api().post(path).set('Authorization', auth).set('Content-Type', 'application/json').send(oversized()), 413);
      check('post', TOKENS, await api().post(path).set('Authorization', auth).set('Content-Type', 'application/json; charset=latin1').send('{"name":"x","scopes":["scim"]}'), 415);
    });

    it('answers 500 without internals when the service fails', async () => {
      const org = await newOrg();
      await withStub(h().services.tokens, 'issue', boom, async () => {
        expectNoInternals(check('post', TOKENS, await operator().post(`${ORGS}/${org.id}/tokens`, { name: 'x', scopes: ['scim'] }), 500));
      });
    });
  });

  describe('side API: user lifecycle, seats and audit', () => {
    const ADMIN_USER = '/api/v1/users/{id}';
    const RESTORE = '/api/v1/users/{id}/restore';
    const PERMANENT = '/api/v1/users/{id}/permanent';
    const SEATS = '/api/v1/seats';
    const RECOUNT = '/api/v1/seats/recount';
    const AUDIT = '/api/v1/audit';
    const as = (org: TestOrg, token = org.adminToken) => {
      const auth = `Bearer ${token}`;
      return {
        get: (path: string) => api().get(path).set('Authorization', auth),
        post: (path: string) => api().post(path).set('Authorization', auth),
        delete: (path: string) => api().delete(path).set('Authorization', auth),
      };
    };

    it('answers every documented status of delete, restore and permanent delete', async () => {
      const org = await newOrg({ domains: ['example.com'], seatLimit: 2 });
      const a = as(org);
      const { id } = await createUser(org, 'ada@example.com');
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${id}`), 204);
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${id}`), 404);
      check('delete', ADMIN_USER, await api().delete(`/api/v1/users/${id}`), 401);
      check('delete', ADMIN_USER, await as(org, org.scimToken).delete(`/api/v1/users/${id}`), 403);
      // The seat is taken by someone else meanwhile: restoring would exceed the limit.
      const { id: other } = await createUser(org, 'grace@example.com');
      const { id: third } = await createUser(org, 'hopper@example.com');
      check('post', RESTORE, await a.post(`/api/v1/users/${id}/restore`), 403);
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${other}`), 204);
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${third}`), 204);
      // Its userName is taken meanwhile: restoring would break uniqueness.
      const { id: clash } = await createUser(org, 'ada@example.com');
      check('post', RESTORE, await a.post(`/api/v1/users/${id}/restore`), 409);
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${clash}`), 204);
      check('post', RESTORE, await a.post(`/api/v1/users/${id}/restore`), 200);
      check('post', RESTORE, await a.post(`/api/v1/users/nope/restore`), 404);
      check('post', RESTORE, await api().post(`/api/v1/users/${id}/restore`), 401);
      check('post', RESTORE, await as(org, org.scimToken).post(`/api/v1/users/${id}/restore`), 403);
      // Permanent delete only takes a deleted user.
      check('delete', PERMANENT, await a.delete(`/api/v1/users/${id}/permanent`), 409);
      check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${id}`), 204);
      check('delete', PERMANENT, await a.delete(`/api/v1/users/${id}/permanent`), 204);
      check('delete', PERMANENT, await a.delete(`/api/v1/users/${id}/permanent`), 404);
      check('delete', PERMANENT, await api().delete(`/api/v1/users/${id}/permanent`), 401);
      check('delete', PERMANENT, await as(org, org.scimToken).delete(`/api/v1/users/${id}/permanent`), 403);
    });

    it('answers 400 when restoring a user whose domain the organization no longer accepts', async () => {
      const org = await newOrg();
      const { id } = await createUser(org, 'ada@old.example.com');
      check('delete', ADMIN_USER, await as(org).delete(`/api/v1/users/${id}`), 204);
      await h().store.models.Organization.collection.updateOne({ _id: org.id as never }, { $set: { domains: ['example.org'] } });
      check('post', RESTORE, await as(org).post(`/api/v1/users/${id}/restore`), 400);
    });

    it('answers every documented status of seats, recount and audit', async () => {
      const org = await newOrg({ seatLimit: 5 });
      const a = as(org);
      await createUser(org, 'ada@example.com');
      expect(check('get', SEATS, await a.get(SEATS), 200).body).to.deep.equal({ used: 1, limit: 5 });
      check('get', SEATS, await api().get(SEATS), 401);
      check('get', SEATS, await as(org, org.scimToken).get(SEATS), 403);
      check('post', RECOUNT, await a.post(RECOUNT), 200);
      check('post', RECOUNT, await api().post(RECOUNT), 401);
      check('post', RECOUNT, await as(org, org.scimToken).post(RECOUNT), 403);
      const audit = check('get', AUDIT, await a.get(`${AUDIT}?action=user.created`), 200);
      expect(audit.body.items ?? audit.body.Resources ?? audit.body).to.not.be.empty;
      check('get', AUDIT, await a.get(`${AUDIT}?since=yesterday`), 400);
      check('get', AUDIT, await api().get(AUDIT), 401);
      check('get', AUDIT, await as(org, org.scimToken).get(AUDIT), 403);
    });

    it('answers 500 without internals when a side-API service fails', async () => {
      const org = await newOrg();
      const a = as(org);
      const { id } = await createUser(org, 'ada@example.com');
      const users = h().services.users;
      await failing(users, ['remove'], async () => {
        expectNoInternals(check('delete', ADMIN_USER, await a.delete(`/api/v1/users/${id}`), 500));
      });
      await failing(users, ['restore'], async () => {
        expectNoInternals(check('post', RESTORE, await a.post(`/api/v1/users/${id}/restore`), 500));
      });
      await failing(users, ['removePermanently'], async () => {
        expectNoInternals(check('delete', PERMANENT, await a.delete(`/api/v1/users/${id}/permanent`), 500));
      });
      await failing(users, ['seatUsage'], async () => {
        expectNoInternals(check('get', SEATS, await a.get(SEATS), 500));
      });
      await failing(users, ['recountSeats'], async () => {
        expectNoInternals(check('post', RECOUNT, await a.post(RECOUNT), 500));
      });
      const audit = (h().services.users as unknown as { audit: Record<string, unknown> }).audit;
      await withStub(audit, 'query', boom, async () => {
        expectNoInternals(check('get', AUDIT, await a.get(AUDIT), 500));
      });
    });
  });
});
