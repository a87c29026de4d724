import { expect } from 'chai';
import { api, newOrg, OPERATOR_TOKEN } from '../../support/harness.js';

// `type: integer` query parameters of the side API (openapi/openapi.json): an empty value is no
// integer. z.coerce.number() read `?offset=` as 0 and answered 200 (found by the reliability suite).
describe('integer query parameters on the side API', () => {
  it('an empty offset or limit answers 400 problem JSON; absent ones take their defaults', async () => {
    const org = await newOrg();
    const admin = { Authorization: `Bearer ${org.adminToken}` };
    for (const path of ['/api/v1/outbox?offset=', '/api/v1/audit?limit=', '/api/v1/outbox?offset=%20', '/api/v1/users?offset=', '/api/v1/users?limit=']) {
      const res = await api().get(path).set(admin).expect(400);
      expect(res.headers['content-type'], path).to.match(/^application\/problem\+json/);
    }
    await api().get('/api/v1/organizations?offset=').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(400);
    const page = await api().get('/api/v1/outbox').set(admin).expect(200);
    expect(page.body).to.include({ offset: 0, limit: 100 });
    expect((await api().get('/api/v1/audit?offset=1&limit=5').set(admin).expect(200)).body).to.include({ offset: 1, limit: 5 });
  });
});
