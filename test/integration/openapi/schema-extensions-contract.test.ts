import { expect } from 'chai';
import { newOrg, withToken } from '../../support/harness.js';
import { check } from '../../support/contract-coverage.js';

// The custom schema extension routes of the side API, held to openapi/openapi.json.
const LIST = '/api/v1/schema-extensions';
const ONE = '/api/v1/schema-extensions/{id}';
const URN = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';
const body = { id: URN, attributes: [{ name: 'costCode', type: 'string' }] };

describe('OpenAPI document: side API (schema extensions)', () => {
  it('every documented status', async () => {
    const org = await newOrg();
    const a = withToken(org.adminToken);
    check('get', LIST, await a.get(LIST), 200);
    check('get', LIST, await withToken().get(LIST), 401);
    check('get', LIST, await withToken(org.scimToken).get(LIST), 403);
    check('post', LIST, await a.post(LIST, body), 201);
    check('post', LIST, await a.post(LIST, body), 409);
    check('post', LIST, await a.post(LIST, { id: 'nope', attributes: [] }), 400);
    check('post', LIST, await withToken().post(LIST, body), 401);
    check('post', LIST, await withToken(org.scimToken).post(LIST, body), 403);
    check('get', ONE, await a.get(`${LIST}/${URN}`), 200);
    check('get', ONE, await a.get(`${LIST}/urn:nope:x`), 404);
    check('get', ONE, await withToken().get(`${LIST}/${URN}`), 401);
    const next = { ...body, attributes: [...body.attributes, { name: 'level', type: 'integer' }] };
    check('put', ONE, await a.put(`${LIST}/${URN}`, next), 200);
    check('put', ONE, await a.put(`${LIST}/${URN}`, body), 409);
    check('put', ONE, await a.put(`${LIST}/${URN}`, { id: URN }), 400);
    check('put', ONE, await a.put(`${LIST}/urn:nope:x`, { ...body, id: 'urn:nope:x' }), 404);
  });
});

describe('OpenAPI document: discovery with an organization token (custom schema extensions)', () => {
  it('answers 200 with the extension to the organization\'s scim token, 401 to a bad token, 403 to another scope', async () => {
    const org = await newOrg();
    check('post', LIST, await withToken(org.adminToken).post(LIST, body), 201);
    const scim = withToken(org.scimToken);
    const schemas = check('get', '/scim/v2/Schemas', await scim.get('/scim/v2/Schemas'), 200);
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).to.include(URN);
    check('get', '/scim/v2/Schemas/{id}', await scim.get(`/scim/v2/Schemas/${URN}`), 200);
    const rts = check('get', '/scim/v2/ResourceTypes', await scim.get('/scim/v2/ResourceTypes'), 200);
    expect(rts.body.Resources[0].schemaExtensions.map((e: { schema: string }) => e.schema)).to.include(URN);
    check('get', '/scim/v2/ResourceTypes/{id}', await scim.get('/scim/v2/ResourceTypes/User'), 200);
    for (const path of ['/scim/v2/Schemas', '/scim/v2/ResourceTypes']) {
      check('get', path, await withToken('not-a-token').get(path), 401);
      check('get', path, await withToken(org.adminToken).get(path), 403);
    }
    check('get', '/scim/v2/Schemas/{id}', await withToken('not-a-token').get(`/scim/v2/Schemas/${URN}`), 401);
    check('get', '/scim/v2/Schemas/{id}', await withToken(org.adminToken).get(`/scim/v2/Schemas/${URN}`), 403);
    check('get', '/scim/v2/ResourceTypes/{id}', await withToken('not-a-token').get('/scim/v2/ResourceTypes/User'), 401);
    check('get', '/scim/v2/ResourceTypes/{id}', await withToken(org.adminToken).get('/scim/v2/ResourceTypes/User'), 403);
  });
});
