import { expect } from 'chai';
import { api, expectScimError } from '../../support/harness.js';

describe('SCIM discovery', () => {
  it('GET /ServiceProviderConfig describes what is implemented', async () => {
    const res = await api().get('/scim/v2/ServiceProviderConfig').expect(200);
    expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
    expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
    expect(res.body.patch.supported).to.equal(true);
    expect(res.body.filter.supported).to.equal(true);
    expect(res.body.filter.maxResults).to.be.a('number');
    expect(res.body.etag.supported).to.equal(true);
    expect(res.body.sort.supported).to.equal(true);
    // RFC 7643 5: /Bulk is served, with the configured limits (test/integration/bulk/bulk.test.ts checks them).
    expect(res.body.bulk.supported).to.equal(true);
    expect(res.body.authenticationSchemes[0].type).to.equal('oauthbearertoken');
    // RFC 9967 section 4: the events an SSF stream carries (docs/events.md), every SCIM request synchronous.
    expect(res.body.securityEvents.asyncRequest).to.equal('none');
    const prov = ['create:full', 'create:notice', 'put:full', 'put:notice', 'patch:full', 'patch:notice', 'delete', 'activate', 'deactivate'];
    expect(res.body.securityEvents.eventUris).to.include.members(prov.map((e) => `urn:ietf:params:scim:event:prov:${e}`));
    const schema = await api().get('/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig').expect(200);
    const described = schema.body.attributes.find((a: { name: string }) => a.name === 'securityEvents');
    expect(described.subAttributes.map((a: { name: string }) => a.name)).to.deep.equal(['asyncRequest', 'eventUris']);
  });

  it('GET /ResourceTypes lists the User resource type with its extensions', async () => {
    const res = await api().get('/scim/v2/ResourceTypes').expect(200);
    const user = res.body.Resources.find((r: { id: string }) => r.id === 'User');
    expect(user.endpoint).to.equal('/Users');
    expect(user.schemaExtensions.map((e: { schema: string }) => e.schema)).to.include(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    );
    await api().get('/scim/v2/ResourceTypes/User').expect(200);
    // Only what is served is described: Users and Groups.
    expect(res.body.Resources.map((r: { id: string }) => r.id)).to.deep.equal(['User', 'Group']);
    const group = await api().get('/scim/v2/ResourceTypes/Group').expect(200);
    expect(group.body.endpoint).to.equal('/Groups');
    await api().get('/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group').expect(200);
    expectScimError(await api().get('/scim/v2/ResourceTypes/Nope'), 404);
  });

  it('GET /Schemas lists the core, enterprise and Roster schemas, and each by id', async () => {
    const res = await api().get('/scim/v2/Schemas').expect(200);
    const ids = res.body.Resources.map((s: { id: string }) => s.id);
    expect(ids).to.include.members([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User',
    ]);
    const user = await api().get('/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User').expect(200);
    const password = user.body.attributes.find((a: { name: string }) => a.name === 'password');
    expect(password.returned).to.equal('never');
    expect(password.mutability).to.equal('writeOnly');
    expectScimError(await api().get('/scim/v2/Schemas/urn:nope'), 404);
  });
});
