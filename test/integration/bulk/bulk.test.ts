import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import type { Config } from '../../../src/config.js';
import { api, ENTERPRISE, ERROR_SCHEMA, expectScimError, h, newOrg, PATCH_OP, USER_SCHEMA, userBody, type TestOrg } from '../../support/harness.js';
import { admin } from '../lifecycle/helpers.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

interface Result {
  method: string;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: { schemas: string[]; status: string; scimType?: string; detail: string };
}

function bulkBody(operations: unknown[], extra: Record<string, unknown> = {}) {
  return { schemas: [BULK_REQUEST], Operations: operations, ...extra };
}

const post = (bulkId: string, userName: string, extra: Record<string, unknown> = {}) => ({
  method: 'POST',
  path: '/Users',
  bulkId,
  data: userBody(userName, extra),
});

async function runBulk(org: TestOrg, operations: unknown[], extra: Record<string, unknown> = {}): Promise<Result[]> {
  const res = await org.scim.post('/Bulk', bulkBody(operations, extra));
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${res.text}`);
  expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
  expect(res.body.schemas).to.deep.equal([BULK_RESPONSE]);
  return res.body.Operations as Result[];
}

const idOf = (result: Result | undefined): string => {
  if (!result?.location) throw new Error(`no location in ${JSON.stringify(result)}`);
  return result.location.slice(result.location.lastIndexOf('/') + 1);
};

function expectFailure(result: Result | undefined, status: number, scimType?: string): void {
  if (!result?.response) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  expect(result.status).to.equal(String(status));
  expect(result.response.schemas).to.deep.equal([ERROR_SCHEMA]);
  expect(result.response.status).to.equal(String(status));
  if (scimType === undefined) expect(result.response).to.not.have.property('scimType');
  else expect(result.response.scimType).to.equal(scimType);
  expect(result.response.detail).to.be.a('string').and.not.equal('');
}

/** An app on the harness's database and services with other settings (limits). */
function appWith(overrides: Partial<Config>) {
  const { config, store, services, clock } = h();
  const app = createApp({ config: { ...config, ...overrides }, store, logger: createLogger('silent'), clock }, services);
  return (org: TestOrg) => ({
    post: (path: string, body: string) =>
      supertest(app)
        .post(`/scim/v2${path}`)
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send(body),
    get: (path: string) => supertest(app).get(`/scim/v2${path}`),
  });
}

describe('SCIM /Bulk (RFC 7644 3.7)', () => {
  describe('operations', () => {
    it('runs POST, PUT, PATCH and DELETE on /Users, each answered with method, bulkId, version, location and status', async () => {
      const org = await newOrg();
      const existing = (await org.scim.post('/Users', userBody('old@example.com')).expect(201)).body.id as string;
      const doomed = (await org.scim.post('/Users', userBody('doomed@example.com')).expect(201)).body.id as string;
      const results = await runBulk(org, [
        post('ada', 'ada@example.com'),
        { method: 'PUT', path: `/Users/${existing}`, data: userBody('old@example.com', { title: 'Countess' }) },
        { method: 'PATCH', path: `/Users/${existing}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Old One' }] } },
        { method: 'DELETE', path: `/Users/${doomed}` },
      ]);
      expect(results.map((r) => [r.method, r.status])).to.deep.equal([
        ['POST', '201'],
        ['PUT', '200'],
        ['PATCH', '200'],
        ['DELETE', '204'],
      ]);
      const [created, put, patched, deleted] = results;
      expect(created?.bulkId).to.equal('ada');
      expect(created?.location).to.match(/^https:\/\/roster\.test\/scim\/v2\/Users\/[0-9a-f-]{36}$/);
      expect(created?.version).to.equal('W/"1"');
      expect(put).to.deep.equal({ method: 'PUT', version: 'W/"2"', location: `https://roster.test/scim/v2/Users/${existing}`, status: '200' });
      expect(patched?.version).to.equal('W/"3"');
      expect(deleted).to.deep.equal({ method: 'DELETE', location: `https://roster.test/scim/v2/Users/${doomed}`, status: '204' });
      for (const r of results) expect(r).to.not.have.property('response');

      const ada = (await org.scim.get(`/Users/${idOf(created)}`).expect(200)).body;
      expect(ada.userName).to.equal('ada@example.com');
      const old = (await org.scim.get(`/Users/${existing}`).expect(200)).body;
      expect(old.title).to.equal('Countess');
      expect(old.displayName).to.equal('Old One');
      expectScimError(await org.scim.get(`/Users/${doomed}`), 404);
    });

    it('sends an operation\'s version as If-Match: a stale one fails that operation with 412 only', async () => {
      const org = await newOrg();
      const id = (await org.scim.post('/Users', userBody('v@example.com')).expect(201)).body.id as string;
      const results = await runBulk(org, [
        { method: 'PUT', path: `/Users/${id}`, version: 'W/"7"', data: userBody('v@example.com', { title: 'stale' }) },
        { method: 'PATCH', path: `/Users/${id}`, version: 'W/"1"', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'fresh' }] } },
      ]);
      expectFailure(results[0], 412);
      expect(results[0]?.location).to.equal(`https://roster.test/scim/v2/Users/${id}`);
      expect(results[1]?.status).to.equal('200');
      expect((await org.scim.get(`/Users/${id}`).expect(200)).body.title).to.equal('fresh');
    });

    it('fails malformed operations one by one: POST without bulkId, unknown method, path or resource, 404 on a missing user', async () => {
      const org = await newOrg();
      const results = await runBulk(org, [
        { method: 'POST', path: '/Users', data: userBody('nobulk@example.com') },
        { method: 'GET', path: '/Users' },
        { method: 'POST', path: '/Widgets', bulkId: 'w', data: {} },
        { method: 'PUT', path: '/Users', data: userBody('x@example.com') },
        { method: 'DELETE', path: '/Users/00000000-0000-4000-8000-000000000000' },
        { method: 'POST', path: '/Users', bulkId: 'bad', data: { schemas: [USER_SCHEMA] } },
        post('fine', 'fine@example.com'),
      ]);
      expectFailure(results[0], 400, 'invalidValue');
      expect(results[0]?.response?.detail).to.include('bulkId');
      expectFailure(results[1], 400, 'invalidValue');
      expectFailure(results[2], 404);
      expectFailure(results[3], 404);
      expectFailure(results[4], 404);
      expect(results[4]?.location).to.equal('https://roster.test/scim/v2/Users/00000000-0000-4000-8000-000000000000');
      expectFailure(results[5], 400, 'invalidValue');
      expect(results[5]).to.not.have.property('location');
      expect(results[6]?.status).to.equal('201');
    });

    it('answers 400 for a body that is not a BulkRequest, and for a bulkId used twice', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.post('/Bulk', { schemas: [BULK_REQUEST] }), 400, 'invalidSyntax');
      expectScimError(await org.scim.post('/Bulk', { schemas: ['urn:nope'], Operations: [] }), 400, 'invalidSyntax');
      expectScimError(await org.scim.post('/Bulk', bulkBody([], { failOnErrors: 0 })), 400, 'invalidValue');
      const dup = await org.scim.post('/Bulk', bulkBody([post('a', 'a@example.com'), post('a', 'b@example.com')]));
      expectScimError(dup, 400, 'invalidValue');
      expect(dup.body.detail).to.include('"a"');
      expect((await org.scim.get('/Users').expect(200)).body.totalResults).to.equal(0);
    });

    it('requires a token with the scim scope', async () => {
      const org = await newOrg();
      expectScimError(await api().post('/scim/v2/Bulk').send(bulkBody([])), 401);
      expectScimError(await api().post('/scim/v2/Bulk').set('Authorization', `Bearer ${org.adminToken}`).send(bulkBody([])), 403);
    });
  });

  describe('bulkId references (RFC 7644 3.7.2)', () => {
    it('resolves a reference to an earlier POST in data (manager) and in path', async () => {
      const org = await newOrg();
      const results = await runBulk(org, [
        post('boss', 'boss@example.com'),
        post('emp', 'emp@example.com', { schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'bulkId:boss' } } }),
        { method: 'PATCH', path: '/Users/bulkId:emp', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }] } },
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['201', '201', '200']);
      const emp = (await org.scim.get(`/Users/${idOf(results[1])}`).expect(200)).body;
      expect(emp[ENTERPRISE].manager.value).to.equal(idOf(results[0]));
      expect(emp.title).to.equal('Engineer');
      expect(results[2]?.location).to.equal(results[1]?.location);
    });

    it('runs the POST a reference names first when it comes later in the request', async () => {
      const org = await newOrg();
      const results = await runBulk(org, [
        { method: 'PATCH', path: '/Users/bulkId:late', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Patched' }] } },
        post('emp', 'emp@example.com', { schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'bulkId:late' } } }),
        post('late', 'late@example.com'),
      ]);
      // Processing order: the first ready operation in request order, after each write.
      expect(results.map((r) => [r.method, r.bulkId, r.status])).to.deep.equal([
        ['POST', 'late', '201'],
        ['PATCH', undefined, '200'],
        ['POST', 'emp', '201'],
      ]);
      const lateId = idOf(results[0]);
      expect((await org.scim.get(`/Users/${lateId}`).expect(200)).body.title).to.equal('Patched');
      expect((await org.scim.get(`/Users/${idOf(results[2])}`).expect(200)).body[ENTERPRISE].manager.value).to.equal(lateId);
    });

    it('answers a circular reference with 409 naming it, for the operations in the cycle and those waiting on it', async () => {
      const org = await newOrg();
      const manager = (ref: string) => ({ schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: ref } } });
      const results = await runBulk(org, [
        post('a', 'a@example.com', manager('bulkId:b')),
        post('b', 'b@example.com', manager('bulkId:a')),
        post('c', 'c@example.com', manager('bulkId:a')),
        post('self', 'self@example.com', manager('bulkId:self')),
        post('free', 'free@example.com'),
      ]);
      expect(results.map((r) => [r.bulkId, r.status])).to.deep.equal([
        ['free', '201'],
        ['a', '409'],
        ['b', '409'],
        ['c', '409'],
        ['self', '409'],
      ]);
      for (const r of results.slice(1)) expectFailure(r, 409);
      expect(results[1]?.response?.detail).to.include('circular bulkId reference bulkId:a → bulkId:b → bulkId:a');
      expect(results[2]?.response?.detail).to.include('circular bulkId reference bulkId:b → bulkId:a → bulkId:b');
      expect(results[3]?.response?.detail).to.include('depends on the circular bulkId reference bulkId:a → bulkId:b → bulkId:a');
      expect(results[4]?.response?.detail).to.include('bulkId:self → bulkId:self');
      expect((await org.scim.get('/Users').expect(200)).body.totalResults).to.equal(1);
    });

    it('fails an operation whose bulkId was never defined (400) or whose POST failed (409)', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('taken@example.com')).expect(201);
      const results = await runBulk(org, [
        post('dup', 'taken@example.com'),
        { method: 'PATCH', path: '/Users/bulkId:dup', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
        { method: 'DELETE', path: '/Users/bulkId:nowhere' },
      ]);
      expectFailure(results[0], 409, 'uniqueness');
      expectFailure(results[1], 409);
      expect(results[1]?.response?.detail).to.include('bulkId:dup could not be resolved');
      expect(results[1]).to.not.have.property('location');
      expectFailure(results[2], 400, 'invalidValue');
      expect(results[2]?.response?.detail).to.include('bulkId:nowhere is not defined');
    });

    it('creates a group whose members reference users created in the same request, on /Groups too', async () => {
      const org = await newOrg();
      const results = await runBulk(org, [
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP_SCHEMA], displayName: 'Tour guides', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
        post('u1', 'u1@example.com'),
        post('u2', 'u2@example.com'),
        { method: 'PATCH', path: '/Groups/bulkId:g', data: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[value eq "bulkId:u2"]' }] } },
      ]);
      expect(results.map((r) => [r.bulkId, r.status])).to.deep.equal([
        ['u1', '201'],
        ['u2', '201'],
        ['g', '201'],
        [undefined, '204'],
      ]);
      expect(results[2]?.location).to.match(/\/scim\/v2\/Groups\/[0-9a-f-]{36}$/);
      const group = (await org.scim.get(`/Groups/${idOf(results[2])}`).expect(200)).body;
      expect(group.members.map((m: { value: string }) => m.value)).to.deep.equal([idOf(results[0])]);
    });
  });

  describe('failOnErrors', () => {
    it('stops after the Nth error and lists only the operations processed so far', async () => {
      const org = await newOrg({ domains: ['example.com'] });
      const results = await runBulk(
        org,
        [
          post('ok1', 'ok1@example.com'),
          post('bad1', 'bad1@elsewhere.test'),
          post('ok2', 'ok2@example.com'),
          post('bad2', 'ok1@example.com'),
          post('never', 'never@example.com'),
          post('bad3', 'bad3@elsewhere.test'),
        ],
        { failOnErrors: 2 },
      );
      expect(results.map((r) => [r.bulkId, r.status])).to.deep.equal([
        ['ok1', '201'],
        ['bad1', '400'],
        ['ok2', '201'],
        ['bad2', '409'],
      ]);
      const names = (await org.scim.get('/Users').expect(200)).body.Resources.map((u: { userName: string }) => u.userName).sort();
      expect(names).to.deep.equal(['ok1@example.com', 'ok2@example.com']);
    });

    it('runs everything without failOnErrors, whatever fails', async () => {
      const org = await newOrg({ domains: ['example.com'] });
      const results = await runBulk(org, [post('x', 'x@elsewhere.test'), post('y', 'y@elsewhere.test'), post('z', 'z@example.com')]);
      expect(results.map((r) => r.status)).to.deep.equal(['400', '400', '201']);
    });
  });

  describe('rules per operation', () => {
    it('crosses the seat limit part-way: later creations fail 403 one by one, a suspended user still goes in', async () => {
      const org = await newOrg({ seatLimit: 2 });
      const results = await runBulk(org, [
        post('a', 'a@example.com'),
        post('b', 'b@example.com'),
        post('c', 'c@example.com'),
        post('d', 'd@example.com', { active: false }),
        post('e', 'e@example.com'),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['201', '201', '403', '201', '403']);
      expectFailure(results[2], 403);
      expect(results[2]?.response?.detail).to.equal('seat limit reached: 2 of 2 seats in use');
      expect((await admin(org).get('/seats').expect(200)).body).to.deep.equal({ used: 2, limit: 2 });
    });

    it('applies the domain and uniqueness rules, and records one audit entry per change with the request id', async () => {
      const org = await newOrg({ domains: ['example.com'] });
      const res = await org.scim
        .post(
          '/Bulk',
          bulkBody([
            post('a', 'a@example.com'),
            post('b', 'b@example.com'),
            post('dup', 'A@example.com'),
            post('off', 'off@elsewhere.test'),
            { method: 'PATCH', path: '/Users/bulkId:a', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Lead' }] } },
          ]),
        )
        .set('X-Request-Id', 'bulk-req-1')
        .expect(200);
      const results = res.body.Operations as Result[];
      expect(results.map((r) => r.status)).to.deep.equal(['201', '201', '409', '400', '200']);
      expectFailure(results[2], 409, 'uniqueness');
      expectFailure(results[3], 400, 'invalidValue');
      expect(results[3]?.response?.detail).to.include('elsewhere.test');

      const created = (await admin(org).get('/audit?action=user.created').expect(200)).body;
      expect(created.total).to.equal(2);
      expect(created.items.map((e: { target: { id: string } }) => e.target.id).sort()).to.deep.equal([idOf(results[0]), idOf(results[1])].sort());
      for (const entry of created.items) expect(entry.requestId).to.equal('bulk-req-1');
      const updated = (await admin(org).get(`/audit?action=user.updated&userId=${idOf(results[0])}`).expect(200)).body;
      expect(updated.total).to.equal(1);
    });
  });

  describe('limits (RFC 7644 3.7.4)', () => {
    it('advertises maxOperations and maxPayloadSize from the configuration', async () => {
      const res = await supertest(h().app).get('/scim/v2/ServiceProviderConfig').expect(200);
      expect(res.body.bulk).to.deep.equal({
        supported: true,
        maxOperations: h().config.bulk.maxOperations,
        maxPayloadSize: h().config.bulk.maxPayloadBytes,
      });
      const small = appWith({ bulk: { maxOperations: 3, maxPayloadBytes: 2048 } });
      const org = await newOrg();
      expect((await small(org).get('/ServiceProviderConfig').expect(200)).body.bulk).to.deep.equal({
        supported: true,
        maxOperations: 3,
        maxPayloadSize: 2048,
      });
    });

    it('answers 413 naming maxOperations when there are more operations, and runs none', async () => {
      const org = await newOrg();
      const small = appWith({ bulk: { maxOperations: 3, maxPayloadBytes: 1_048_576 } });
      const ops = ['a', 'b', 'c', 'd'].map((n) => post(n, `${n}@example.com`));
      const res = await small(org).post('/Bulk', JSON.stringify(bulkBody(ops)));
      expectScimError(res, 413);
      expect(res.body).to.not.have.property('scimType');
      expect(res.body.detail).to.include('maxOperations (3)');
      expect((await org.scim.get('/Users').expect(200)).body.totalResults).to.equal(0);
      expect((await small(org).post('/Bulk', JSON.stringify(bulkBody(ops.slice(0, 3))))).status).to.equal(200);
    });

    it('answers 413 naming maxPayloadSize for a larger body, whatever the global body limit', async () => {
      const org = await newOrg();
      // The global limit is lower than the bulk one: /Bulk must still take what maxPayloadSize allows.
      const small = appWith({ bodyLimit: '1kb', bulk: { maxOperations: 100, maxPayloadBytes: 4096 } });
      const fits = JSON.stringify(bulkBody([post('a', 'a@example.com', { title: 'x'.repeat(2500) })]));
      expect(fits.length).to.be.within(2048, 4096);
      const ok = await small(org).post('/Bulk', fits).expect(200);
      expect(ok.body.Operations[0].status).to.equal('201');
      expectScimError(await small(org).post('/Users', JSON.stringify(userBody('big@example.com', { title: 'x'.repeat(2500) }))), 413);

      const tooBig = JSON.stringify(bulkBody([post('b', 'b@example.com', { title: 'x'.repeat(5000) })]));
      const res = await small(org).post('/Bulk', tooBig);
      expectScimError(res, 413);
      expect(res.body).to.not.have.property('scimType');
      expect(res.body.detail).to.equal('The size of the bulk operation exceeds the maxPayloadSize (4096).');
      expect((await org.scim.get('/Users?filter=userName eq "b@example.com"').expect(200)).body.totalResults).to.equal(0);
    });
  });
});
