import { expect } from 'chai';
import { api, newOrg } from '../../support/harness.js';
import { admin, expectProblem } from './helpers.js';

describe('Tokens (/api/v1/tokens)', () => {
  it('POST shows the secret once; GET lists the organization\'s tokens without secrets', async () => {
    const org = await newOrg();
    const created = await admin(org).post('/tokens', { name: 'ci', scopes: ['scim'] }).expect(201);
    expect(created.body.token).to.match(/^rst\.[0-9a-f]{24}\./);
    expect(created.body).to.include({ name: 'ci' });
    const list = await admin(org).get('/tokens').expect(200);
    const names = (list.body.items as { name: string }[]).map((t) => t.name).sort();
    expect(names).to.deep.equal(['admin', 'ci', 'scim']);
    expect(list.body.total).to.equal(3);
    expect(list.text).to.not.include(created.body.token.split('.')[2]);
    expect(list.text).to.not.match(/secret|hash|"token"/i);
    // The new token works.
    await api().get('/scim/v2/Users').set('Authorization', `Bearer ${created.body.token}`).expect(200);
  });

  it('does not list another organization\'s tokens, nor revoke them (404)', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const other = await admin(b).post('/tokens', { name: 'b-only', scopes: ['scim'] }).expect(201);
    const list = await admin(a).get('/tokens').expect(200);
    expect(JSON.stringify(list.body)).to.not.include('b-only');
    expectProblem(await admin(a).delete(`/tokens/${other.body.id}`), 404);
    await api().get('/scim/v2/Users').set('Authorization', `Bearer ${other.body.token}`).expect(200);
  });

  it('DELETE revokes: the next request with the token is 401 and it leaves the list', async () => {
    const org = await newOrg();
    const created = await admin(org).post('/tokens', { name: 'temp', scopes: ['scim'] }).expect(201);
    await admin(org).delete(`/tokens/${created.body.id}`).expect(204);
    expectProblem(await api().get('/api/v1/tokens').set('Authorization', `Bearer ${created.body.token}`), 401);
    const scim = await api().get('/scim/v2/Users').set('Authorization', `Bearer ${created.body.token}`);
    expect(scim.status).to.equal(401);
    const list = await admin(org).get('/tokens').expect(200);
    expect((list.body.items as { id: string }[]).map((t) => t.id)).to.not.include(created.body.id);
    expectProblem(await admin(org).delete(`/tokens/${created.body.id}`), 404);
    const audit = await admin(org).get('/audit?action=token.revoked').expect(200);
    expect(audit.body.total).to.equal(1);
  });

  it('answers 400 invalidValue naming the field, 401 without a token and 403 to a scim token', async () => {
    const org = await newOrg();
    const bad = await admin(org).post('/tokens', { name: 'x', scopes: ['operator'] });
    expectProblem(bad, 400, 'invalidValue');
    expect(bad.body.detail).to.match(/^scopes/);
    expectProblem(await admin(org).post('/tokens', { scopes: ['scim'] }), 400, 'invalidValue');
    expectProblem(await api().get('/api/v1/tokens'), 401);
    expectProblem(await admin(org, org.scimToken).get('/tokens'), 403);
  });
});
