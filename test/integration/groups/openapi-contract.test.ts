import { api, h, newOrg, PATCH_OP, userBody, type TestOrg } from '../../support/harness.js';
import { check, expectNoInternals, failing } from '../../support/contract-coverage.js';
import { expect } from 'chai';

// Held to openapi/openapi.json; contract.test.ts checks afterwards that every documented response was produced.
const GROUPS = '/scim/v2/Groups';
const GROUP = '/scim/v2/Groups/{id}';
const SEARCH = '/scim/v2/Groups/.search';
const ROLE_GROUP = '/api/v1/roles/{key}/group';
const ROLES = '/api/v1/roles';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

async function setup(): Promise<{ org: TestOrg; userId: string; groupId: string; etag: string }> {
  const org = await newOrg();
  const userId = (await org.scim.post('/Users', userBody('ada@example.com')).expect(201)).body.id as string;
  const res = check('post', GROUPS, await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Eng', members: [{ value: userId }] }), 201);
  return { org, userId, groupId: res.body.id as string, etag: res.headers.etag as string };
}

const admin = (org: TestOrg) => ({
  get: (path: string, token = org.adminToken) => api().get(path).set('Authorization', `Bearer ${token}`),
  put: (path: string, body: unknown) => api().put(path).set('Authorization', `Bearer ${org.adminToken}`).send(body as object),
  delete: (path: string) => api().delete(path).set('Authorization', `Bearer ${org.adminToken}`),
});

describe('OpenAPI document: Groups and role bindings', () => {
  it('/Groups: every documented response', async () => {
    const { org, userId, groupId, etag } = await setup();
    check('post', GROUPS, await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA] }), 400);
    check('post', GROUPS, await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'eng' }), 409);
    check('post', GROUPS, await api().post('/scim/v2/Groups').send({}), 401);
    check('get', GROUPS, await org.scim.get('/Groups'), 200);
    check('get', GROUPS, await org.scim.get('/Groups?cursor=&count=1&excludedAttributes=members'), 200);
    check('get', GROUPS, await org.scim.get('/Groups?filter=' + encodeURIComponent('nope eq "x"')), 400);
    check('get', GROUPS, await api().get('/scim/v2/Groups'), 401);
    check('post', SEARCH, await org.scim.post('/Groups/.search', { filter: 'displayName eq "eng"' }), 200);
    check('post', SEARCH, await org.scim.post('/Groups/.search', { filter: 'displayName zz "eng"' }), 400);
    check('get', GROUP, await org.scim.get(`/Groups/${groupId}`), 200);
    check('get', GROUP, await org.scim.get('/Groups/nope'), 404);
    check('put', GROUP, await org.scim.put(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Eng 2', members: [{ value: userId }] }), 200);
    check('put', GROUP, await org.scim.put(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA] }), 400);
    check('put', GROUP, await org.scim.put('/Groups/nope', { schemas: [GROUP_SCHEMA], displayName: 'x' }), 404);
    check('put', GROUP, await org.scim.put(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'x' }).set('If-Match', etag), 412);
    const other = check('post', GROUPS, await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Other' }), 201);
    check('put', GROUP, await org.scim.put(`/Groups/${other.body.id}`, { schemas: [GROUP_SCHEMA], displayName: 'ENG 2' }), 409);
    const remove = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] };
    check('patch', GROUP, await org.scim.patch(`/Groups/${groupId}`, remove), 204);
    check('patch', GROUP, await org.scim.patch(`/Groups/${groupId}?excludedAttributes=members`, remove), 200);
    check('patch', GROUP, await org.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [] }), 400);
    check('patch', GROUP, await org.scim.patch('/Groups/nope', remove), 404);
    check('patch', GROUP, await org.scim.patch(`/Groups/${groupId}`, remove).set('If-Match', etag), 412);
    check('delete', GROUP, await org.scim.delete(`/Groups/${groupId}`).set('If-Match', etag), 412);
    check('delete', GROUP, await org.scim.delete(`/Groups/${groupId}`), 204);
    check('delete', GROUP, await org.scim.delete(`/Groups/${groupId}`), 404);
  });

  it('/api/v1/roles/{key}/group: every documented response', async () => {
    const { org, groupId } = await setup();
    check('put', ROLE_GROUP, await admin(org).put('/api/v1/roles/admin/group', { groupId }), 200);
    check('put', ROLE_GROUP, await admin(org).put('/api/v1/roles/admin/group', {}), 400);
    check('put', ROLE_GROUP, await admin(org).put('/api/v1/roles/nope/group', { groupId }), 404);
    check('delete', ROLE_GROUP, await admin(org).delete('/api/v1/roles/admin/group'), 204);
    check('delete', ROLE_GROUP, await admin(org).delete('/api/v1/roles/nope/group'), 404);
  });

  it('/api/v1/roles: every documented response, with the bound group of each role', async () => {
    const { org, groupId } = await setup();
    const unbound = check('get', ROLES, await admin(org).get(ROLES), 200);
    expect(unbound.body.items.map((r: { key: string; group: unknown; isDefault: boolean }) => [r.key, r.group, r.isDefault])).to.deep.equal([
      ['admin', null, false],
      ['user', null, true],
    ]);
    await admin(org).put('/api/v1/roles/admin/group', { groupId }).expect(200);
    const bound = check('get', ROLES, await admin(org).get(ROLES), 200);
    expect(bound.body.items[0]).to.deep.equal({ key: 'admin', name: 'Admin', precedence: 100, permissions: ['manage_users'], isDefault: false, group: { id: groupId, displayName: 'Eng' } });
    check('get', ROLES, await api().get(ROLES), 401);
    check('get', ROLES, await admin(org).get(ROLES, org.scimToken), 403);
    await failing(h().services.groups, ['roleBindings'], async () => {
      expectNoInternals(check('get', ROLES, await admin(org).get(ROLES), 500));
    });
  });
});
