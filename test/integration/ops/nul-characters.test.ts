import { expect } from 'chai';
import { api, expectScimError, newOrg, OPERATOR_TOKEN, PATCH_OP, userBody } from '../../support/harness.js';

const GROUP_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';

// A request body holding U+0000 is refused up front (src/http/json-body.ts): PostgreSQL under the
// embedded engine cannot store it, and before this the write answered 500.
describe('request bodies with a NUL character (U+0000)', () => {
  it('SCIM writes answer 400 invalidValue and store nothing', async () => {
    const org = await newOrg();
    expectScimError(await org.scim.post('/Users', userBody('nul\u0000@example.com')), 400, 'invalidValue');
    const listed = await org.scim.get('/Users').expect(200);
    expect(listed.body.totalResults).to.equal(0);

    const group = await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA_URN], displayName: 'Eng' }).expect(201);
    expectScimError(await org.scim.put(`/Groups/${group.body.id}`, { schemas: [GROUP_SCHEMA_URN], displayName: 'E\u0000ng' }), 400, 'invalidValue');
    // A member name holding it is refused too, not only a value.
    expectScimError(await org.scim.post('/Users', { ...userBody('key@example.com'), 'x\u0000': 1 }), 400, 'invalidValue');
    expectScimError(
      await org.scim.patch(`/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: '\u0000' }] }),
      400,
      'invalidValue',
    );
    expect((await org.scim.get(`/Groups/${group.body.id}`).expect(200)).body.displayName).to.equal('Eng');
  });

  it('a BulkRequest holding it answers 400 invalidValue', async () => {
    const org = await newOrg();
    const res = await org.scim.post('/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: userBody('bulk\u0000@example.com') }],
    });
    expectScimError(res, 400, 'invalidValue');
  });

  it('the side API answers 400 problem JSON', async () => {
    const res = await api()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'Nul', companies: ['A\u0000'] })
      .expect(400);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.type).to.equal('urn:roster:problem:invalidValue');
    expect(res.body.detail).to.include('U+0000');
  });

  it('a filter value holding it is refused by the filter grammar (RFC 7644 3.4.2.2)', async () => {
    const org = await newOrg();
    expectScimError(await org.scim.get(`/Users?filter=${encodeURIComponent('userName eq "a\u0000"')}`), 400, 'invalidFilter');
  });
});
