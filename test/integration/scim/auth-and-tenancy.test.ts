import { expect } from 'chai';
import { api, expectScimError, newOrg, PATCH_OP, userBody } from '../../support/harness.js';

describe('SCIM authentication and tenancy', () => {
  it('answers 401 with WWW-Authenticate in SCIM error JSON without a token', async () => {
    const res = await api().get('/scim/v2/Users');
    expectScimError(res, 401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
  });

  it('answers 401 with status "401" for "Authorization: non-token" (the providers\' connection check)', async () => {
    const res = await api().get('/scim/v2/Users').set('Authorization', 'non-token');
    expectScimError(res, 401);
    expect(res.body.status).to.equal('401');
  });

  it('answers 401 for a well-formed but unknown token', async () => {
    const res = await api().get('/scim/v2/Users').set('Authorization', `Bearer rst.${'0'.repeat(24)}.abc`);
    expectScimError(res, 401);
  });

  it('answers 403 for an admin token on SCIM routes', async () => {
    const org = await newOrg();
    const res = await api().get('/scim/v2/Users').set('Authorization', `Bearer ${org.adminToken}`);
    expectScimError(res, 403);
  });

  it("does not let one organization's token read, change or delete another organization's user", async () => {
    const owner = await newOrg();
    const other = await newOrg();
    const created = await owner.scim.post('/Users', userBody('private@example.com')).expect(201);
    const id = created.body.id as string;

    expectScimError(await other.scim.get(`/Users/${id}`), 404);
    expectScimError(await other.scim.put(`/Users/${id}`, userBody('private@example.com', { title: 'pwned' })), 404);
    expectScimError(
      await other.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'pwned' }] }),
      404,
    );
    expectScimError(await other.scim.delete(`/Users/${id}`), 404);
    const listed = await other.scim.get(`/Users?filter=${encodeURIComponent('userName eq "private@example.com"')}`).expect(200);
    expect(listed.body.totalResults).to.equal(0);
    const all = await other.scim.get('/Users').expect(200);
    expect(all.body.Resources.map((u: { id: string }) => u.id)).to.not.include(id);

    const read = await owner.scim.get(`/Users/${id}`).expect(200);
    expect(read.body).to.not.have.property('title');
    expect(read.body.meta.version).to.equal(created.body.meta.version);
  });

  it('lets two organizations use the same userName', async () => {
    const a = await newOrg();
    const b = await newOrg();
    await a.scim.post('/Users', userBody('same@example.com')).expect(201);
    await b.scim.post('/Users', userBody('same@example.com')).expect(201);
  });

  it('answers 404 in SCIM error JSON for an unknown SCIM endpoint', async () => {
    const org = await newOrg();
    expectScimError(await org.scim.get('/Nope'), 404);
  });
});
