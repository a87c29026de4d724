import { expect } from 'chai';
import supertest from 'supertest';
import { appWith, newOrg } from '../../support/harness.js';
import { expectScimError } from '../../support/harness.js';
import { RateLimits } from '../../../src/http/rate-limit.js';

// One request per 1000 s with a burst of 2: the third request within the test is always refused,
// however slow the machine (no timing dependence).
const STRICT = { ROSTER_RATE_LIMIT_PER_SECOND: 0.001, ROSTER_RATE_LIMIT_BURST: 2 };

function expectTooMany(res: supertest.Response): void {
  expect(res.status, res.text).to.equal(429);
  expect(Number(res.headers['retry-after'])).to.be.at.least(1);
}

describe('Rate limits (ROSTER_RATE_LIMIT_PER_SECOND, ROSTER_RATE_LIMIT_BURST, ROSTER_AUTH_FAILURES_PER_MINUTE)', () => {
  it('per token: past rate and burst, SCIM routes answer 429 SCIM error JSON with Retry-After; another token is not affected', async () => {
    const org = await newOrg();
    const other = await newOrg();
    const app = supertest(appWith(STRICT));
    const get = (token: string) => app.get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
    for (let i = 0; i < 3; i++) await get(org.scimToken).expect(200);
    const refused = await get(org.scimToken);
    expectTooMany(refused);
    expectScimError(refused, 429);
    expect(refused.body.status).to.equal('429');
    await get(other.scimToken).expect(200);
  });

  it('per token on the side API: 429 problem JSON', async () => {
    const org = await newOrg();
    const app = supertest(appWith(STRICT));
    const get = () => app.get('/api/v1/tokens').set('Authorization', `Bearer ${org.adminToken}`);
    for (let i = 0; i < 3; i++) await get().expect(200);
    const refused = await get();
    expectTooMany(refused);
    expect(refused.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(refused.body).to.include({ status: 429, title: 'Too Many Requests' });
  });

  it('per client address on unauthenticated routes; health probes are never limited', async () => {
    const app = supertest(appWith(STRICT));
    for (let i = 0; i < 3; i++) await app.get('/openapi.json').expect(200);
    expectTooMany(await app.get('/openapi.json'));
    const accept = await app.post('/api/v1/invitations/accept').send({ token: 'x', password: 'y' });
    expectTooMany(accept);
    expect(accept.headers['content-type']).to.match(/^application\/problem\+json/);
    for (let i = 0; i < 5; i++) await app.get('/healthz').expect(200);
  });

  it('failed authentications per address: past the limit 429 even for a good token, until the window ends', async () => {
    const org = await newOrg();
    const app = supertest(appWith({ ROSTER_AUTH_FAILURES_PER_MINUTE: 3 }));
    const get = (token: string) => app.get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);
    for (let i = 0; i < 3; i++) expectScimError(await get(`rst.${'0'.repeat(24)}.guess${i}`), 401);
    const limited = await get('rst.000000000000000000000000.guess4');
    expectTooMany(limited);
    expectScimError(limited, 429);
    expect(Number(limited.headers['retry-after'])).to.be.at.most(60);
    expectTooMany(await get(org.scimToken));
    // Successful requests do not count: a fresh app (fresh counters) with a good token is never limited.
    const fresh = supertest(appWith({ ROSTER_AUTH_FAILURES_PER_MINUTE: 3 }));
    for (let i = 0; i < 6; i++) await fresh.get('/scim/v2/Users').set('Authorization', `Bearer ${org.scimToken}`).expect(200);
  });

  it('0 turns the limits off', async () => {
    const org = await newOrg();
    const app = supertest(appWith({ ROSTER_RATE_LIMIT_PER_SECOND: 0, ROSTER_AUTH_FAILURES_PER_MINUTE: 0 }));
    for (let i = 0; i < 8; i++) await app.get('/scim/v2/Users').set('Authorization', `Bearer ${org.scimToken}`).expect(200);
    for (let i = 0; i < 8; i++) expect((await app.get('/scim/v2/Users').set('Authorization', 'Bearer nope')).status).to.equal(401);
  });

  it('rate and burst add up: a sustained rate of 2 a second with a burst of 3 lets 5 through at once', async () => {
    const limits = new RateLimits({ perSecond: 2, burst: 3, authFailuresPerMinute: 0 });
    const results = await Promise.all(Array.from({ length: 8 }, () => limits.checkToken('t1')));
    // At least rate + burst pass; a second boundary crossed meanwhile can only let more through.
    expect(results.filter((r) => r === undefined).length).to.be.at.least(5);
    expect(results.filter((r) => r?.status === 429).length).to.be.at.most(3);
  });
});
