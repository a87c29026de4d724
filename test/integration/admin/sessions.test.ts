import { expect } from 'chai';
import { api, h, newOrg, PATCH_OP, userBody } from '../../support/harness.js';
import { createApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import supertest from 'supertest';
import { admin, expectProblem } from './helpers.js';
import { withStub } from '../../support/contract-coverage.js';
import {
  activeUser,
  auditActions,
  ctxOf,
  expectRefusal,
  HOUR,
  MINUTE,
  PASSWORD,
  platform,
  setTemporaryPassword,
  signinToken,
} from './session-helpers.js';

const suspendOp = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };

describe('Sign-in and sessions (/api/v1/sessions)', () => {
  afterEach(() => h().clock.reset());

  describe('POST /api/v1/sessions', () => {
    it('signs in with the right password: 201 with the session token once, stored only as SHA-256, and audited', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const res = await p.signIn('ADA@example.com', PASSWORD).expect(201);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ userId });
      expect(res.body.id).to.match(/^[0-9a-f]{24}$/);
      expect(res.body.token).to.match(new RegExp(`^rss\\.${res.body.id}\\.[A-Za-z0-9_-]{43}$`));
      expect(res.body.user).to.deep.include({ id: userId, userName: 'ada@example.com', status: 'active' });
      expect(res.body.user.roles).to.deep.equal([{ value: 'user', display: 'Standard user' }]);
      expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.created)).to.equal(12 * HOUR);

      const stored = await h().store.models.Session.collection.findOne({ _id: res.body.id });
      expect(stored).to.include({ orgId: org.id, userId });
      expect(JSON.stringify(stored)).to.not.include(String(res.body.token).split('.')[2]);

      const actions = (await auditActions(org, userId)).map((e) => e.action);
      expect(actions).to.include('session.created');
      const listed = await admin(org).get(`/users/${userId}/sessions`).expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).to.deep.equal([res.body.id]);
    });

    it('gives the same 401 invalid_credentials for an unknown email, a wrong password and a user without a password', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      await org.scim.post('/Users', userBody('grace@example.com')).expect(201);
      const p = platform(await signinToken(org));
      const unknown = await p.signIn('nobody@example.com', PASSWORD);
      const wrong = await p.signIn('ada@example.com', 'not the password');
      const none = await p.signIn('grace@example.com', PASSWORD);
      for (const res of [unknown, wrong, none]) expectRefusal(res, 401, 'invalid_credentials');
      expect(wrong.body).to.deep.equal(unknown.body);
      expect(none.body).to.deep.equal(unknown.body);
      // A missing bearer token is 401 too, but with WWW-Authenticate and no reason.
      expect(unknown.headers['www-authenticate']).to.equal(undefined);
      const noToken = await api().post('/api/v1/sessions').send({ email: 'ada@example.com', password: PASSWORD });
      expectProblem(noToken, 401);
      expect(noToken.body.reason).to.equal(undefined);
    });

    it('answers 403 invited for an invited user (there is no password to check yet)', async () => {
      const org = await newOrg();
      const invited = await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
      const p = platform(await signinToken(org));
      expectRefusal(await p.signIn('ada@example.com', 'anything at all'), 403, 'invited');
      const actions = await auditActions(org, invited.body.userId as string);
      expect(actions.find((e) => e.action === 'signin.failed')?.changes).to.deep.include({ path: 'reason', old: null, new: 'invited' });
    });

    it('says suspended only after the password was verified', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      await org.scim.patch(`/Users/${userId}`, suspendOp).expect(200);
      const p = platform(await signinToken(org));
      expectRefusal(await p.signIn('ada@example.com', 'wrong password'), 401, 'invalid_credentials');
      expectRefusal(await p.signIn('ada@example.com', PASSWORD), 403, 'suspended');
    });

    it('finds a deleted user by its address and says deleted only after the password was verified; a new user with the address wins', async () => {
      const org = await newOrg();
      // userName is not an address: the sign-in email is the work email.
      const userId = (
        await org.scim.post('/Users', userBody('ada', { password: PASSWORD, emails: [{ value: 'Ada@Example.com', type: 'work', primary: true }] })).expect(201)
      ).body.id as string;
      const p = platform(await signinToken(org));
      await p.signIn('ada@example.com', PASSWORD).expect(201);
      await org.scim.delete(`/Users/${userId}`).expect(204);
      expectRefusal(await p.signIn('ada@example.com', 'wrong password'), 401, 'invalid_credentials');
      expectRefusal(await p.signIn('ada@example.com', PASSWORD), 403, 'deleted');
      // userName is the address and the stored emails are others: found by userName, in any letter case.
      const grace = await activeUser(org, 'Grace@example.com', PASSWORD, { emails: [{ value: 'hopper@example.com', type: 'home' }] });
      await org.scim.delete(`/Users/${grace}`).expect(204);
      expectRefusal(await p.signIn('grace@EXAMPLE.com', PASSWORD), 403, 'deleted');
      expectRefusal(await p.signIn('hopper@example.com', PASSWORD), 401, 'invalid_credentials');
      const again = await activeUser(org, 'ada@example.com', 'another password');
      const res = await p.signIn('ada@example.com', 'another password').expect(201);
      expect(res.body.userId).to.equal(again);
    });

    it('answers 400 naming the field for a malformed body', async () => {
      const org = await newOrg();
      const p = platform(await signinToken(org));
      const res = await api().post('/api/v1/sessions').set('Authorization', `Bearer ${await signinToken(org)}`).send({ email: 'a@example.com' });
      expectProblem(res, 400, 'invalidValue');
      expect(res.body.detail).to.match(/^password:/);
      expectProblem(await p.signIn('', PASSWORD), 400, 'invalidValue');
    });

    it('answers 403 to a token without the signin scope, and an admin token cannot sign in', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      expectProblem(await platform(org.adminToken).signIn('ada@example.com', PASSWORD), 403);
      expectProblem(await platform(org.scimToken).verify('rss.x.y'), 403);
    });
  });

  describe('temporary passwords', () => {
    it('refuses with 403 password_change_required, then the password change sets the new one and signs in', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      await setTemporaryPassword(org, userId, 'temporary pass 1');
      const p = platform(await signinToken(org));
      const refused = await p.signIn('ada@example.com', 'temporary pass 1');
      expectRefusal(refused, 403, 'password_change_required');
      expect(refused.body.detail).to.include('/api/v1/sessions/password-change');
      // A wrong temporary password is still just wrong.
      expectRefusal(await p.signIn('ada@example.com', 'temporary pass 2'), 401, 'invalid_credentials');

      expectRefusal(await p.changePassword('ada@example.com', 'wrong', 'my own password'), 401, 'invalid_credentials');
      expectProblem(await p.changePassword('ada@example.com', 'temporary pass 1', 'short'), 400, 'invalidValue');
      expectProblem(await p.changePassword('ada@example.com', 'temporary pass 1', 'temporary pass 1'), 400, 'invalidValue');
      const changed = await p.changePassword('ada@example.com', 'temporary pass 1', 'my own password').expect(201);
      expect(changed.body.userId).to.equal(userId);
      await p.verify(changed.body.token as string).expect(200);

      const stored = await h().store.models.User.collection.findOne({ _id: userId as never });
      expect(stored?.mustChangePassword).to.equal(undefined);
      expectRefusal(await p.signIn('ada@example.com', 'temporary pass 1'), 401, 'invalid_credentials');
      await p.signIn('ada@example.com', 'my own password').expect(201);
      const audit = await auditActions(org, userId);
      expect(audit.find((e) => e.action === 'user.updated')?.changes.map((c) => c.path)).to.include('password');
    });

    it('end to end with the admin create: a user created with a temporary password must change it at first sign-in', async () => {
      const org = await newOrg();
      const created = await admin(org).post('/users', { email: 'ada@example.com', temporaryPassword: 'temporary pass 1' }).expect(201);
      const userId = created.body.user.id as string;
      const p = platform(await signinToken(org));
      expectRefusal(await p.signIn('ada@example.com', 'temporary pass 1'), 403, 'password_change_required');
      const changed = await p.changePassword('ada@example.com', 'temporary pass 1', 'my own password').expect(201);
      expect(changed.body.userId).to.equal(userId);
      expect((await admin(org).get(`/users/${userId}`).expect(200)).body.mustChangePassword).to.equal(false);
      await p.signIn('ada@example.com', 'my own password').expect(201);
    });

    it('a password change ends every other session of the user', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const first = await p.signIn('ada@example.com', PASSWORD).expect(201);
      const changed = await p.changePassword('ada@example.com', PASSWORD, 'a brand new one').expect(201);
      expectRefusal(await p.verify(first.body.token as string), 401, 'session_ended');
      await p.verify(changed.body.token as string).expect(200);
    });

    it('refuses the password change of a suspended user after checking the password', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      await setTemporaryPassword(org, userId, 'temporary pass 1');
      await org.scim.patch(`/Users/${userId}`, suspendOp).expect(200);
      const p = platform(await signinToken(org));
      expectRefusal(await p.changePassword('ada@example.com', 'temporary pass 1', 'my own password'), 403, 'suspended');
    });
  });

  describe('throttling', () => {
    it('answers 429 with Retry-After after 5 failures within 15 minutes, even to the right password, until the lock passes', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      for (let i = 0; i < 5; i++) expectRefusal(await p.signIn('ada@example.com', `wrong ${i}`), 401, 'invalid_credentials');
      const locked = await p.signIn('Ada@example.com', PASSWORD);
      expectRefusal(locked, 429, 'too_many_attempts');
      expect(Number(locked.headers['retry-after'])).to.be.within(899, 900);
      // The password change route is throttled on the same account.
      expectRefusal(await p.changePassword('ada@example.com', PASSWORD, 'a brand new one'), 429, 'too_many_attempts');
      const actions = (await auditActions(org, userId)).map((e) => e.action);
      expect(actions.filter((a) => a === 'signin.failed')).to.have.length(5);
      expect(actions).to.include('signin.locked');

      h().clock.advance(10 * MINUTE);
      const later = await p.signIn('ada@example.com', PASSWORD);
      expectRefusal(later, 429, 'too_many_attempts');
      expect(Number(later.headers['retry-after'])).to.be.within(299, 300);
      h().clock.advance(5 * MINUTE + 1000);
      await p.signIn('ada@example.com', PASSWORD).expect(201);
    });

    it('throttles an unknown address exactly like a known one', async () => {
      const org = await newOrg();
      const p = platform(await signinToken(org));
      for (let i = 0; i < 5; i++) expectRefusal(await p.signIn('nobody@example.com', 'guess'), 401, 'invalid_credentials');
      const locked = await p.signIn('nobody@example.com', 'guess');
      expectRefusal(locked, 429, 'too_many_attempts');
      expect(locked.headers['retry-after']).to.be.a('string');
      // The counter does not hold the address in clear.
      const counters = await h().store.models.SigninThrottle.collection.find({ orgId: org.id }).toArray();
      expect(counters).to.have.length(1);
      expect(JSON.stringify(counters)).to.not.include('nobody');
    });

    it('a success resets the count; failures older than the window do not count', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      for (let i = 0; i < 4; i++) expectRefusal(await p.signIn('ada@example.com', 'wrong'), 401, 'invalid_credentials');
      await p.signIn('ada@example.com', PASSWORD).expect(201);
      for (let i = 0; i < 4; i++) expectRefusal(await p.signIn('ada@example.com', 'wrong'), 401, 'invalid_credentials');
      await p.signIn('ada@example.com', PASSWORD).expect(201);

      for (let i = 0; i < 4; i++) expectRefusal(await p.signIn('ada@example.com', 'wrong'), 401, 'invalid_credentials');
      h().clock.advance(15 * MINUTE + 1000);
      // A new window: four more failures are not five.
      for (let i = 0; i < 4; i++) expectRefusal(await p.signIn('ada@example.com', 'wrong'), 401, 'invalid_credentials');
      await p.signIn('ada@example.com', PASSWORD).expect(201);
    });

    it('keeps the count in the database: another app on the same database sees the lock; accounts and organizations are apart', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      await activeUser(org, 'grace@example.com');
      const other = await newOrg();
      await activeUser(other, 'ada@example.com');
      const token = await signinToken(org);
      const p = platform(token);
      for (let i = 0; i < 5; i++) await p.signIn('ada@example.com', 'wrong').expect(401);
      const second = createApp({ config: h().config, store: h().store, logger: createLogger('silent'), clock: h().clock });
      const res = await supertest(second).post('/api/v1/sessions').set('Authorization', `Bearer ${token}`).send({ email: 'ada@example.com', password: PASSWORD });
      expectRefusal(res, 429, 'too_many_attempts');
      await p.signIn('grace@example.com', PASSWORD).expect(201);
      await platform(await signinToken(other)).signIn('ada@example.com', PASSWORD).expect(201);
    });

    it('counts failures that arrive at the same time: none is lost', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => p.signIn('ada@example.com', `wrong ${i}`)));
      expect(results.map((r) => r.status)).to.deep.equal([401, 401, 401, 401, 401]);
      expectRefusal(await p.signIn('ada@example.com', PASSWORD), 429, 'too_many_attempts');
    });

    it('lets no more than 5 guesses through when they arrive at the same time: the rest answer 429 unchecked', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => p.signIn('ada@example.com', `wrong ${i}`)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).to.deep.equal([...Array(5).fill(401), ...Array(7).fill(429)]);
      for (const res of results) if (res.status === 429) expectRefusal(res, 429, 'too_many_attempts');
      expectRefusal(await p.signIn('ada@example.com', PASSWORD), 429, 'too_many_attempts');
    });

    it('cleans up expired counters lazily', async () => {
      const org = await newOrg();
      const p = platform(await signinToken(org));
      await p.signIn('one@example.com', 'guess').expect(401);
      h().clock.advance(16 * MINUTE);
      await p.signIn('two@example.com', 'guess').expect(401);
      const counters = await h().store.models.SigninThrottle.collection.find({ orgId: org.id }).toArray();
      expect(counters).to.have.length(1);
    });
  });

  describe('POST /api/v1/sessions/verify and sign-out', () => {
    it('answers 200 with the session and the user\'s id, status and effective roles, and records lastUsedAt', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com', PASSWORD, { roles: [{ value: 'admin' }] });
      const p = platform(await signinToken(org));
      const session = await p.signIn('ada@example.com', PASSWORD).expect(201);
      const res = await p.verify(session.body.token as string).expect(200);
      expect(res.body.session).to.include({ id: session.body.id, userId, expiresAt: session.body.expiresAt });
      expect(res.body.session.lastUsedAt).to.be.a('string');
      expect(res.body.user).to.deep.equal({ id: userId, userName: 'ada@example.com', status: 'active', roles: [{ value: 'admin', display: 'Admin' }] });
      expect(res.body).to.not.have.nested.property('session.token');
      const listed = await admin(org).get(`/users/${userId}/sessions`).expect(200);
      expect(listed.body.items[0].lastUsedAt).to.equal(res.body.session.lastUsedAt);
    });

    it('answers 401 session_invalid for a malformed, unknown or tampered token and for another organization\'s session', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const session = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body as { id: string; token: string };
      expectRefusal(await p.verify('nonsense'), 401, 'session_invalid');
      expectRefusal(await p.verify(`rss.${'0'.repeat(24)}.secret`), 401, 'session_invalid');
      expectRefusal(await p.verify(`rss.${session.id}.${'A'.repeat(43)}`), 401, 'session_invalid');
      const other = await newOrg();
      expectRefusal(await platform(await signinToken(other)).verify(session.token), 401, 'session_invalid');
      expectProblem(await p.verify(''), 400, 'invalidValue');
    });

    it('answers 401 session_expired after the session TTL', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const session = await p.signIn('ada@example.com', PASSWORD).expect(201);
      h().clock.advance(12 * HOUR - MINUTE);
      await p.verify(session.body.token as string).expect(200);
      h().clock.advance(2 * MINUTE);
      expectRefusal(await p.verify(session.body.token as string), 401, 'session_expired');
    });

    it('sign-out ends the session (204), is silent for anything else, and the session then answers session_ended', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const session = await p.signIn('ada@example.com', PASSWORD).expect(201);
      await p.signOut(session.body.token as string).expect(204);
      await p.signOut(session.body.token as string).expect(204);
      await p.signOut('nonsense').expect(204);
      const ended = await p.verify(session.body.token as string);
      expectRefusal(ended, 401, 'session_ended');
      expect(ended.body.detail).to.include('signed_out');
      expect((await admin(org).get(`/users/${userId}/sessions`).expect(200)).body.items).to.deep.equal([]);
    });

    it('refuses a session whose user was suspended or re-passworded behind the listeners\' back, and ends it', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const one = await p.signIn('ada@example.com', PASSWORD).expect(201);
      const two = await p.signIn('ada@example.com', PASSWORD).expect(201);
      const users = h().store.models.User.collection;
      // Written straight to the database: no listener runs.
      await users.updateOne({ _id: userId as never }, { $set: { passwordHash: 'scrypt$1$1$1$AAAA$AAAA' } });
      const stale = await p.verify(one.body.token as string);
      expectRefusal(stale, 401, 'session_ended');
      expect(stale.body.detail).to.include('password changed');
      await users.updateOne({ _id: userId as never }, { $set: { status: 'suspended', active: false } });
      const suspended = await p.verify(two.body.token as string);
      expectRefusal(suspended, 401, 'session_ended');
      expect(suspended.body.detail).to.include('suspended');
      const stored = await h().store.models.Session.collection.find({ userId }).toArray();
      expect(stored.map((s) => s.endReason).sort()).to.deep.equal(['password_changed', 'suspended']);
    });
  });

  describe('sessions stay ended when access comes back, even if no listener ended them', () => {
    for (const [what, end, restore] of [
      ['a restore after a delete', (id: string) => `/users/${id}`, (id: string) => `/users/${id}/restore`],
      ['an activate after a suspend', (id: string) => `/users/${id}/suspend`, (id: string) => `/users/${id}/activate`],
    ] as const) {
      it(`${what}`, async () => {
        const org = await newOrg();
        const userId = await activeUser(org, 'ada@example.com');
        const p = platform(await signinToken(org));
        const token = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body.token as string;
        h().clock.advance(1000);
        // The listener that ends sessions fails, and no check runs while access is off.
        await withStub(h().services.sessions, 'endAll', (async () => {
          throw new Error('listener down');
        }) as never, async () => {
          const ended = what.includes('delete') ? admin(org).delete(end(userId)) : admin(org).post(end(userId));
          expect((await ended).status).to.be.oneOf([200, 204]);
        });
        await admin(org).post(restore(userId)).expect(200);
        expectRefusal(await p.verify(token), 401, 'session_ended');
        // A new sign-in works.
        h().clock.advance(1000);
        const fresh = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body.token as string;
        await p.verify(fresh).expect(200);
      });
    }
  });

  describe('ending sessions when access ends', () => {
    async function twoSessions() {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const tokens = [
        (await p.signIn('ada@example.com', PASSWORD).expect(201)).body.token as string,
        (await p.signIn('ada@example.com', PASSWORD).expect(201)).body.token as string,
      ];
      expect((await admin(org).get(`/users/${userId}/sessions`).expect(200)).body.items).to.have.length(2);
      return { org, userId, p, tokens };
    }

    async function expectAllEnded(t: Awaited<ReturnType<typeof twoSessions>>, reason: string): Promise<void> {
      const stored = await h().store.models.Session.collection.find({ orgId: t.org.id, userId: t.userId }).toArray();
      expect(stored.map((s) => s.endReason)).to.deep.equal([reason, reason]);
      for (const token of t.tokens) expectRefusal(await t.p.verify(token), 401, 'session_ended');
      const ended = (await auditActions(t.org, t.userId)).filter((e) => e.action === 'session.ended');
      expect(ended).to.have.length(1);
      expect(ended[0]!.changes).to.deep.include({ path: 'endReason', old: null, new: reason });
    }

    it('SCIM PATCH active=false (Okta\'s deactivation) ends every session at once; activating again does not bring them back', async () => {
      const t = await twoSessions();
      await t.org.scim.patch(`/Users/${t.userId}`, suspendOp).expect(200);
      await expectAllEnded(t, 'suspended');
      await t.org.scim.patch(`/Users/${t.userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] }).expect(200);
      for (const token of t.tokens) expectRefusal(await t.p.verify(token), 401, 'session_ended');
    });

    it('SCIM DELETE ends every session', async () => {
      const t = await twoSessions();
      await t.org.scim.delete(`/Users/${t.userId}`).expect(204);
      await expectAllEnded(t, 'deleted');
    });

    it('a password set over SCIM ends every session', async () => {
      const t = await twoSessions();
      await t.org.scim.patch(`/Users/${t.userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'password', value: 'set by the IdP' }] }).expect(200);
      await expectAllEnded(t, 'password_changed');
      await t.p.signIn('ada@example.com', 'set by the IdP').expect(201);
    });

    it('a suspension on the side-API write path (users.applyChange) ends every session', async () => {
      const t = await twoSessions();
      await h().services.users.applyChange(ctxOf(t.org), t.userId, () => ({ status: 'suspended' }));
      await expectAllEnded(t, 'suspended');
    });

    it('the admin suspend (POST /api/v1/users/{id}/suspend) ends every session', async () => {
      const t = await twoSessions();
      await admin(t.org).post(`/users/${t.userId}/suspend`).expect(200);
      await expectAllEnded(t, 'suspended');
    });

    it('the admin delete ends every session', async () => {
      const t = await twoSessions();
      await admin(t.org).delete(`/users/${t.userId}`).expect(204);
      await expectAllEnded(t, 'deleted');
    });
  });

  describe('administrators: /api/v1/users/{id}/sessions', () => {
    it('lists the live sessions without secrets, newest first; terminates one (204, then 404) or all', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const first = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body as { id: string; token: string };
      h().clock.advance(1000);
      const second = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body as { id: string; token: string };
      h().clock.advance(1000);
      const third = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body as { id: string; token: string };

      const listed = await admin(org).get(`/users/${userId}/sessions`).expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).to.deep.equal([third.id, second.id, first.id]);
      expect(Object.keys(listed.body.items[0]).sort()).to.deep.equal(['created', 'expiresAt', 'id', 'userId']);
      expect(JSON.stringify(listed.body)).to.not.include(first.token.split('.')[2]);

      await admin(org).delete(`/users/${userId}/sessions/${second.id}`).expect(204);
      expectProblem(await admin(org).delete(`/users/${userId}/sessions/${second.id}`), 404);
      expectRefusal(await p.verify(second.token), 401, 'session_ended');
      await p.verify(first.token).expect(200);

      const all = await admin(org).delete(`/users/${userId}/sessions`).expect(200);
      expect(all.body).to.deep.equal({ ended: 2 });
      expect((await admin(org).get(`/users/${userId}/sessions`).expect(200)).body.items).to.deep.equal([]);
      expect((await admin(org).delete(`/users/${userId}/sessions`).expect(200)).body).to.deep.equal({ ended: 0 });
      for (const s of [first, third]) expectRefusal(await p.verify(s.token), 401, 'session_ended');

      const ended = (await auditActions(org, userId)).filter((e) => e.action === 'session.ended');
      expect(ended).to.have.length(2);
      for (const e of ended) expect(e.changes).to.deep.include({ path: 'endReason', old: null, new: 'terminated' });
    });

    it('does not let another organization see or end the sessions (404), nor end a session through another user', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const graceId = await activeUser(org, 'grace@example.com');
      const p = platform(await signinToken(org));
      const session = (await p.signIn('ada@example.com', PASSWORD).expect(201)).body as { id: string; token: string };
      const other = await newOrg();
      expectProblem(await admin(other).get(`/users/${userId}/sessions`), 404);
      expectProblem(await admin(other).delete(`/users/${userId}/sessions`), 404);
      expectProblem(await admin(other).delete(`/users/${userId}/sessions/${session.id}`), 404);
      expectProblem(await admin(org).delete(`/users/${graceId}/sessions/${session.id}`), 404);
      expectProblem(await admin(org).get('/users/nope/sessions'), 404);
      await p.verify(session.token).expect(200);
    });

    it('answers 401 without a token and 403 to a signin or scim token', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      expectProblem(await api().get(`/api/v1/users/${userId}/sessions`), 401);
      expectProblem(await admin(org, await signinToken(org)).get(`/users/${userId}/sessions`), 403);
      expectProblem(await admin(org, org.scimToken).delete(`/users/${userId}/sessions`), 403);
    });
  });
});
