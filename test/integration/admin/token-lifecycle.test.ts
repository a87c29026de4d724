import { expect } from 'chai';
import { api, h, newOrg, userBody } from '../../support/harness.js';
import { admin, expectProblem } from './helpers.js';
import { configurePasswordHashing, needsRehash, RECOMMENDED_SCRYPT_LOG_N } from '../../../src/domain/secrets.js';
import { loadConfig } from '../../../src/config.js';
import { PASSWORD, platform, signinToken } from './session-helpers.js';

const MINUTE = 60_000;
const users = (token: string) => api().get('/scim/v2/Users').set('Authorization', `Bearer ${token}`);

async function tokenView(org: Awaited<ReturnType<typeof newOrg>>, id: string): Promise<Record<string, string>> {
  const list = await admin(org).get('/tokens').expect(200);
  return (list.body.items as Record<string, string>[]).find((t) => t.id === id)!;
}

describe('Tokens: expiry, last use and rotation', () => {
  afterEach(() => h().clock.reset());

  it('a token with expiresAt works until then and answers 401 from that instant; a past expiresAt is 400', async () => {
    const org = await newOrg();
    const expiresAt = new Date(h().clock.now().getTime() + 10 * MINUTE).toISOString();
    const created = await admin(org).post('/tokens', { name: 'short', scopes: ['scim'], expiresAt }).expect(201);
    expect(created.body.expiresAt).to.equal(expiresAt);
    await users(created.body.token).expect(200);
    expect((await tokenView(org, created.body.id)).expiresAt).to.equal(expiresAt);
    h().clock.advance(10 * MINUTE);
    expectProblemLike(await users(created.body.token), 401);
    const past = await admin(org).post('/tokens', { name: 'old', scopes: ['scim'], expiresAt: '2001-01-01T00:00:00Z' });
    expectProblem(past, 400, 'invalidValue');
    expect(past.body.detail).to.match(/^expiresAt/);
    expectProblem(await admin(org).post('/tokens', { name: 'bad', scopes: ['scim'], expiresAt: 'tomorrow' }), 400, 'invalidValue');
  });

  it('lastUsedAt is written on use, at most once a minute', async () => {
    const org = await newOrg();
    const created = await admin(org).post('/tokens', { name: 'used', scopes: ['scim'] }).expect(201);
    expect(await tokenView(org, created.body.id)).to.not.have.property('lastUsedAt');
    await users(created.body.token).expect(200);
    const first = await waitForLastUse(org, created.body.id, undefined);
    h().clock.advance(30_000);
    await users(created.body.token).expect(200);
    // A second use within the minute writes nothing: the next write (after the minute) is what changes it.
    h().clock.advance(31_000);
    await users(created.body.token).expect(200);
    const second = await waitForLastUse(org, created.body.id, first);
    // Had the use at +30 s written, the use at +61 s would have fallen within its minute and written nothing.
    expect(new Date(second).getTime() - new Date(first).getTime()).to.be.at.least(61_000);
  });

  it('rotation: a new secret at once, the old one valid for the grace period, then 401', async () => {
    const org = await newOrg();
    const created = await admin(org).post('/tokens', { name: 'idp', scopes: ['scim'] }).expect(201);
    const rotated = await admin(org).post(`/tokens/${created.body.id}/rotate`, { gracePeriodSeconds: 120 }).expect(200);
    expect(rotated.body.id).to.equal(created.body.id);
    expect(rotated.body.token).to.match(new RegExp(`^rst\\.${created.body.id}\\.`)).and.not.equal(created.body.token);
    expect(new Date(rotated.body.previousSecretValidUntil).getTime() - new Date(rotated.body.rotatedAt).getTime()).to.equal(120_000);
    await users(rotated.body.token).expect(200);
    await users(created.body.token).expect(200);
    h().clock.advance(120_000);
    expectProblemLike(await users(created.body.token), 401);
    await users(rotated.body.token).expect(200);
    // A second rotation: the first rotation's secret is now the previous one; the original is gone for good.
    const again = await admin(org).post(`/tokens/${created.body.id}/rotate`).expect(200);
    expect(new Date(again.body.previousSecretValidUntil).getTime() - h().clock.now().getTime()).to.be.within(3_590_000, 3_600_000);
    await users(rotated.body.token).expect(200);
    await users(again.body.token).expect(200);
    expectProblemLike(await users(created.body.token), 401);
    const audit = await admin(org).get('/audit?action=token.rotated').expect(200);
    expect(audit.body.total).to.equal(2);
    expect(JSON.stringify(audit.body)).to.not.include(again.body.token.split('.')[2]);
    // Unknown, another organization's, revoked: 404; a bad grace: 400.
    const other = await newOrg();
    expectProblem(await admin(other).post(`/tokens/${created.body.id}/rotate`), 404);
    expectProblem(await admin(org).post('/tokens/nothex/rotate'), 404);
    expectProblem(await admin(org).post(`/tokens/${created.body.id}/rotate`, { gracePeriodSeconds: -1 }), 400, 'invalidValue');
    await admin(org).delete(`/tokens/${created.body.id}`).expect(204);
    expectProblem(await admin(org).post(`/tokens/${created.body.id}/rotate`), 404);
    expectProblemLike(await users(again.body.token), 401);
    expectProblemLike(await users(rotated.body.token), 401);
  });
});

describe('Password hashing: OWASP parameters and rehash on sign-in', () => {
  it('production hashes at N=2^17, r=8, p=1 (config default); tests lower N through ROSTER_SCRYPT_LOG_N only', () => {
    expect(RECOMMENDED_SCRYPT_LOG_N).to.equal(17);
    expect(loadConfig({}).scryptLogN).to.equal(17);
    expect(h().config.scryptLogN).to.be.below(17);
  });

  it('a hash made with weaker parameters is replaced at the next successful sign-in, and open sessions go on', async () => {
    const org = await newOrg();
    const email = `rehash-${Date.now()}@example.com`;
    const signin = await signinToken(org);
    const storedHash = async () =>
      ((await h().store.models.User.collection.findOne({ _id: id } as never)) as unknown as { passwordHash: string }).passwordHash;
    // What an older release wrote: the user's password hashed at N=2^10, and a session opened with it.
    configurePasswordHashing(10);
    let id: string;
    let old: string;
    try {
      id = (await org.scim.post('/Users', userBody(email, { password: PASSWORD })).expect(201)).body.id as string;
      old = (await platform(signin).signIn(email, PASSWORD).expect(201)).body.token as string;
    } finally {
      configurePasswordHashing(h().config.scryptLogN);
    }
    const weak = await storedHash();
    expect(weak.split('$')[1]).to.equal('1024');
    expect(needsRehash(weak)).to.equal(true);
    // A wrong password changes nothing; the right one rehashes at today's parameters.
    await platform(signin).signIn(email, 'not the password').expect(401);
    expect(await storedHash()).to.equal(weak);
    const session = await platform(signin).signIn(email, PASSWORD).expect(201);
    const strong = await storedHash();
    expect(strong.split('$')[1]).to.equal(String(2 ** h().config.scryptLogN));
    expect(needsRehash(strong)).to.equal(false);
    // Both the session opened before the rehash and the new one stay valid; the password still works.
    await platform(signin).verify(old).expect(200);
    await platform(signin).verify(session.body.token).expect(200);
    await platform(signin).signIn(email, PASSWORD).expect(201);
    expect(await storedHash()).to.equal(strong);
  });
});

function expectProblemLike(res: { status: number; headers: Record<string, string> }, status: number): void {
  expect(res.status).to.equal(status);
  expect(res.headers['www-authenticate']).to.match(/^Bearer/);
}

/** lastUsedAt is written after the answer (never delaying it): read until it differs from `previous`. */
async function waitForLastUse(org: Awaited<ReturnType<typeof newOrg>>, id: string, previous: string | undefined): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const view = await tokenView(org, id);
    if (view.lastUsedAt && view.lastUsedAt !== previous) return view.lastUsedAt;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('lastUsedAt was not written');
}
