import { expect } from 'chai';
import { api, h, newOrg, OPERATOR_TOKEN } from '../../support/harness.js';

describe('Operator API', () => {
  it('POST /api/v1/organizations creates an organization with default roles', async () => {
    const res = await api()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'Acme', domains: ['Acme.com'], seatLimit: 50, roleMode: 'multiple' })
      .expect(201);
    expect(res.body).to.include({ name: 'Acme', seatLimit: 50, roleMode: 'multiple' });
    expect(res.body.id).to.be.a('string');
    expect(res.body.domains).to.deep.equal(['acme.com']);
    expect(res.body.roles.map((r: { key: string }) => r.key)).to.deep.equal(['admin', 'user']);
    expect(res.body.defaultRole).to.equal('user');
  });

  it('answers 400 problem details naming the field for a bad domain', async () => {
    const res = await api()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'Bad', domains: ['not a domain'] })
      .expect(400);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.status).to.equal(400);
    expect(res.body.detail).to.include('domains.0');
  });

  it('POST /api/v1/organizations/{id}/tokens shows the secret once, and the token works', async () => {
    const org = await newOrg();
    const res = await api()
      .post(`/api/v1/organizations/${org.id}/tokens`)
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'okta', scopes: ['scim'] })
      .expect(201);
    expect(res.body.id).to.be.a('string');
    expect(res.body.token).to.match(/^rst\./);
    await api().get('/scim/v2/Users').set('Authorization', `Bearer ${res.body.token}`).expect(200);
    const stored = await h().store.models.Token.collection.findOne({ _id: res.body.id as never });
    expect(JSON.stringify(stored)).to.not.include(res.body.token.split('.')[2]);
  });

  it('answers 404 for tokens of an unknown organization', async () => {
    await api()
      .post('/api/v1/organizations/nope/tokens')
      .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
      .send({ name: 'x', scopes: ['scim'] })
      .expect(404);
  });

  it('refuses organization routes to a SCIM token (403) and to no token (401)', async () => {
    const org = await newOrg();
    await api().post('/api/v1/organizations').set('Authorization', `Bearer ${org.scimToken}`).send({ name: 'x' }).expect(403);
    const res = await api().post('/api/v1/organizations').send({ name: 'x' }).expect(401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  });
});

describe('Health', () => {
  it('GET /healthz and /readyz answer ok with the database up', async () => {
    await api().get('/healthz').expect(200);
    const ready = await api().get('/readyz').expect(200);
    expect(ready.body.database).to.equal('ok');
  });
});
