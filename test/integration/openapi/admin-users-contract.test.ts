import { api, h, newOrg, type TestOrg, withToken } from '../../support/harness.js';
import { check, expectNoInternals, failing } from '../../support/contract-coverage.js';

// The administrators' Users screen (/api/v1/users), held to openapi/openapi.json: every documented
// response of these routes is produced here (the root hook checks coverage after a full run).

const USERS = '/api/v1/users';
const USER = '/api/v1/users/{id}';
const SUSPEND = '/api/v1/users/{id}/suspend';
const ACTIVATE = '/api/v1/users/{id}/activate';

const as = (org: TestOrg, token = org.adminToken) => withToken(token);

describe('OpenAPI document: admin users (/api/v1/users)', () => {
  it('list, create, read and edit: every documented status', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 2 });
    const a = as(org);
    const scim = as(org, org.scimToken);
    const created = check('post', USERS, await a.post(USERS, { email: 'ann@example.com', name: 'Ann', role: 'admin' }), 201);
    const id = created.body.user.id as string;
    check('post', USERS, await a.post(USERS, { email: 'ann@example.com' }), 409);
    check('post', USERS, await a.post(USERS, { email: 'bob@example.com', temporaryPassword: 'Temporary-123' }), 201);
    check('post', USERS, await a.post(USERS, { email: 'eve@example.com' }), 403);
    check('post', USERS, await a.post(USERS, { email: 'nope' }), 400);
    check('post', USERS, await api().post(USERS).send({ email: 'x@example.com' }), 401);
    check('post', USERS, await scim.post(USERS, { email: 'x@example.com' }), 403);

    check('get', USERS, await a.get(`${USERS}?tab=active&search=ann&role=admin&sortBy=name&sortOrder=descending&offset=0&limit=10`), 200);
    check('get', USERS, await a.get(`${USERS}?tab=pending`), 200);
    check('get', USERS, await a.get(`${USERS}?tab=gone`), 400);
    check('get', USERS, await api().get(USERS), 401);
    check('get', USERS, await scim.get(USERS), 403);

    check('get', USER, await a.get(`${USERS}/${id}`), 200);
    check('get', USER, await a.get(`${USERS}/nope`), 404);
    check('get', USER, await api().get(`${USERS}/${id}`), 401);
    check('get', USER, await scim.get(`${USERS}/${id}`), 403);

    check('patch', USER, await a.patch(`${USERS}/${id}`, { name: 'Ann Lee', company: null }), 200);
    check('patch', USER, await a.patch(`${USERS}/${id}`, { email: 'BOB@example.com' }), 409);
    check('patch', USER, await a.patch(`${USERS}/${id}`, { role: 'wizard' }), 400);
    check('patch', USER, await a.patch(`${USERS}/nope`, { name: 'X' }), 404);
    // A stale page: If-Match names a version the user has moved past.
    check('patch', USER, await a.patch(`${USERS}/${id}`, { name: 'Stale' }).set('If-Match', 'W/"1"'), 412);
    check('patch', USER, await api().patch(`${USERS}/${id}`).send({ name: 'X' }), 401);
    check('patch', USER, await scim.patch(`${USERS}/${id}`, { name: 'X' }), 403);

    await failing(h().services.users, ['create', 'present', 'presentOne', 'applyChange'], async () => {
      expectNoInternals(check('get', USERS, await a.get(USERS), 500));
      expectNoInternals(check('post', USERS, await a.post(USERS, { email: 'z@example.com' }), 500));
      expectNoInternals(check('get', USER, await a.get(`${USERS}/${id}`), 500));
      expectNoInternals(check('patch', USER, await a.patch(`${USERS}/${id}`, { name: 'Y' }), 500));
    });
  });

  it('suspend and activate: every documented status', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 1 });
    const a = as(org);
    const scim = as(org, org.scimToken);
    const id = (await a.post(USERS, { email: 'sue@example.com' }).expect(201)).body.user.id as string;

    check('post', SUSPEND, await a.post(`${USERS}/${id}/suspend`), 200);
    check('post', SUSPEND, await a.post(`${USERS}/nope/suspend`), 404);
    check('post', SUSPEND, await api().post(`${USERS}/${id}/suspend`), 401);
    check('post', SUSPEND, await scim.post(`${USERS}/${id}/suspend`), 403);

    // The seat went to someone else: no seat to come back to.
    const other = (await a.post(USERS, { email: 'other@example.com' }).expect(201)).body.user.id as string;
    check('post', ACTIVATE, await a.post(`${USERS}/${id}/activate`), 403);
    await a.post(`${USERS}/${other}/suspend`).expect(200);
    // The organization dropped the user's domain meanwhile.
    await a.patch('/api/v1/organization', { domains: ['example.org'] }).expect(200);
    check('post', ACTIVATE, await a.post(`${USERS}/${id}/activate`), 400);
    await a.patch('/api/v1/organization', { domains: ['example.com'] }).expect(200);
    check('post', ACTIVATE, await a.post(`${USERS}/${id}/activate`), 200);
    check('post', ACTIVATE, await a.post(`${USERS}/nope/activate`), 404);
    check('post', ACTIVATE, await api().post(`${USERS}/${id}/activate`), 401);
    check('post', ACTIVATE, await scim.post(`${USERS}/${id}/activate`), 403);

    await failing(h().services.users, ['applyChange'], async () => {
      expectNoInternals(check('post', SUSPEND, await a.post(`${USERS}/${id}/suspend`), 500));
      expectNoInternals(check('post', ACTIVATE, await a.post(`${USERS}/${id}/activate`), 500));
    });
  });
});
