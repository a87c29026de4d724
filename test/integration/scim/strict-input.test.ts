import { expect } from 'chai';
import { check } from '../../support/contract-coverage.js';
import { api, expectScimError, newOrg, PATCH_OP, userBody } from '../../support/harness.js';

// Input the server used to take although the RFCs (and openapi/openapi.json) say otherwise; found
// by the reliability suite (scripts/reliability/README.md).
describe('SCIM input held to the RFCs', () => {
  it('If-Match that is not * or a list of entity tags answers 400 invalidSyntax, not 412 (RFC 9110 13.1.1)', async () => {
    const org = await newOrg();
    const id = (await org.scim.post('/Users', userBody('etag@example.com')).expect(201)).body.id as string;
    const patch = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada' }] };
    for (const header of ['', 'abc', 'W/1', '"1",']) {
      expectScimError(await org.scim.patch(`/Users/${id}`, patch).set('If-Match', header), 400, 'invalidSyntax');
    }
    // Well-formed tags still decide by version: a stale one 412, the current one (or *) goes through.
    expectScimError(await org.scim.patch(`/Users/${id}`, patch).set('If-Match', 'W/"9"'), 412);
    const done = await org.scim.patch(`/Users/${id}`, patch).set('If-Match', 'W/"9", W/"1"').expect(200);
    await org.scim.put(`/Users/${id}`, userBody('etag@example.com')).set('If-Match', done.headers.etag as string).expect(200);
    expectScimError(check('delete', '/scim/v2/Users/{id}', await org.scim.delete(`/Users/${id}`).set('If-Match', 'W/'), 400), 400, 'invalidSyntax');
    await org.scim.delete(`/Users/${id}`).set('If-Match', '*').expect(204);

    const group = (await org.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'G' }).expect(201)).body.id as string;
    expectScimError(check('delete', '/scim/v2/Groups/{id}', await org.scim.delete(`/Groups/${group}`).set('If-Match', ''), 400), 400, 'invalidSyntax');
  });

  it('the side API answers 400 problem JSON for a malformed If-Match', async () => {
    const org = await newOrg();
    const id = (await org.scim.post('/Users', userBody('side@example.com')).expect(201)).body.id as string;
    const res = await api().patch(`/api/v1/users/${id}`).set('Authorization', `Bearer ${org.adminToken}`).set('If-Match', 'nope').send({ name: 'Ada' }).expect(400);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.type).to.equal('urn:roster:problem:invalidSyntax');
  });

  it('a userName that is a boolean or a number answers 400 invalidValue (RFC 7643 4.1.1: a string)', async () => {
    const org = await newOrg();
    for (const userName of [false, 42]) {
      const res = await org.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('userName');
    }
    expect((await org.scim.get('/Users').expect(200)).body.totalResults).to.equal(0);
  });

  it('an empty filter, count or startIndex answers 400, in the query and in a SearchRequest (RFC 7644 3.4.2)', async () => {
    const org = await newOrg();
    expectScimError(await org.scim.get('/Users?filter='), 400, 'invalidFilter');
    expectScimError(await org.scim.get('/Users?count='), 400, 'invalidValue');
    expectScimError(await org.scim.get('/Groups?startIndex='), 400, 'invalidValue');
    expectScimError(await org.scim.post('/Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: '' }), 400, 'invalidFilter');
    await org.scim.get('/Users').expect(200);
  });

  it('a SearchRequest member that is null is as if absent (RFC 7643 2.5), as openapi.json says', async () => {
    const org = await newOrg();
    await org.scim.post('/Users', userBody('null@example.com')).expect(201);
    const body = { filter: null, sortBy: null, sortOrder: null, attributes: null, excludedAttributes: null, startIndex: null, count: null };
    expect((await org.scim.post('/Users/.search', body).expect(200)).body.totalResults).to.equal(1);
    expect((await org.scim.post('/Groups/.search', body).expect(200)).body.totalResults).to.equal(0);
  });
});
