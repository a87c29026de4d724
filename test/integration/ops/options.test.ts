import { expect } from 'chai';
import { api, newOrg } from '../../support/harness.js';

// RFC 9110 9.3.7: OPTIONS names what a path serves; on the side API the document's methods
// (openapi/openapi.json) are that answer. Express alone named only the first matching router's
// routes (Allow: DELETE on /api/v1/users/{id}).
describe('OPTIONS on the side API', () => {
  it('answers 204 with every documented method of the path', async () => {
    const org = await newOrg();
    const res = await api().options('/api/v1/users/some-id').set('Authorization', `Bearer ${org.adminToken}`).expect(204);
    expect(res.headers.allow).to.equal('GET, HEAD, PATCH, DELETE, OPTIONS');
    const tokens = await api().options('/api/v1/tokens').expect(204);
    expect(tokens.headers.allow).to.equal('GET, HEAD, POST, OPTIONS');
  });
});
