import { expect } from 'chai';
import { h, newOrg, PATCH_OP, type TestOrg, withToken } from '../../support/harness.js';
import { check, expectNoInternals, failing, withStub } from '../../support/contract-coverage.js';
import { activeUser, PASSWORD, setTemporaryPassword, signinToken } from '../admin/session-helpers.js';

// Sign-in, sessions and password reset, held to openapi/openapi.json. Every documented response must be
// produced by some contract test; the root hook in test/support/global-hooks.ts checks that after the run.

const SIGNIN = '/api/v1/sessions';
const VERIFY = '/api/v1/sessions/verify';
const CHANGE = '/api/v1/sessions/password-change';
const SIGN_OUT = '/api/v1/sessions/sign-out';
const SELF_RESET = '/api/v1/sessions/password-reset';
const SESSIONS = '/api/v1/users/{id}/sessions';
const SESSION = '/api/v1/users/{id}/sessions/{sessionId}';
const RESET = '/api/v1/users/{id}/password-reset';
const COMPLETE = '/api/v1/password-resets/complete';

const as = withToken;

async function resetLink(org: TestOrg): Promise<string> {
  const res = await as(org.adminToken).get('/api/v1/outbox').expect(200);
  const link = (res.body.items as { kind: string; link: string }[]).find((m) => m.kind === 'password_reset')!.link;
  return new URL(link).searchParams.get('token') ?? '';
}

describe('OpenAPI document: sign-in, sessions and password reset', () => {
  afterEach(() => h().clock.reset());

  it('sign-in, verify, sign-out and the self-service reset: every documented status', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await activeUser(org, 'grace@example.com');
    const p = as(await signinToken(org));
    const a = as(org.adminToken);

    const session = check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }), 201);
    check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com' }), 400);
    const wrong = check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com', password: 'wrong' }), 401);
    expect(wrong.body.reason).to.equal('invalid_credentials');
    check('post', SIGNIN, await as().post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }), 401);
    check('post', SIGNIN, await a.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }), 403);
    await org.scim.patch(`/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }).expect(200);
    const suspended = check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }), 403);
    expect(suspended.body.reason).to.equal('suspended');
    for (let i = 0; i < 5; i++) await p.post(SIGNIN, { email: 'grace@example.com', password: 'wrong' }).expect(401);
    const locked = check('post', SIGNIN, await p.post(SIGNIN, { email: 'grace@example.com', password: PASSWORD }), 429);
    expect(locked.body.reason).to.equal('too_many_attempts');

    const graceSession = await (async () => {
      h().clock.advance(16 * 60 * 1000);
      return (await p.post(SIGNIN, { email: 'grace@example.com', password: PASSWORD }).expect(201)).body.token as string;
    })();
    check('post', VERIFY, await p.post(VERIFY, { token: graceSession }), 200);
    check('post', VERIFY, await p.post(VERIFY, {}), 400);
    const ended = check('post', VERIFY, await p.post(VERIFY, { token: session.body.token }), 401);
    expect(ended.body.reason).to.equal('session_ended');
    check('post', VERIFY, await as().post(VERIFY, { token: graceSession }), 401);
    check('post', VERIFY, await a.post(VERIFY, { token: graceSession }), 403);

    check('post', SIGN_OUT, await p.post(SIGN_OUT, { token: graceSession }), 204);
    check('post', SIGN_OUT, await p.post(SIGN_OUT, { token: 1 }), 400);
    check('post', SIGN_OUT, await as().post(SIGN_OUT, { token: graceSession }), 401);
    check('post', SIGN_OUT, await a.post(SIGN_OUT, { token: graceSession }), 403);

    check('post', SELF_RESET, await p.post(SELF_RESET, { email: 'grace@example.com' }), 202);
    check('post', SELF_RESET, await p.post(SELF_RESET, { mail: 'grace@example.com' }), 400);
    check('post', SELF_RESET, await as().post(SELF_RESET, { email: 'grace@example.com' }), 401);
    check('post', SELF_RESET, await a.post(SELF_RESET, { email: 'grace@example.com' }), 403);

    await failing(h().services.sessions, ['signIn', 'verify', 'signOut'], async () => {
      expectNoInternals(check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }), 500));
      expectNoInternals(check('post', VERIFY, await p.post(VERIFY, { token: graceSession }), 500));
      expectNoInternals(check('post', SIGN_OUT, await p.post(SIGN_OUT, { token: graceSession }), 500));
    });
    const throws = (() => {
      throw new Error('boom');
    }) as never;
    await withStub(h().services.passwordResets, 'requestBySelfInBackground', throws, async () => {
      expectNoInternals(check('post', SELF_RESET, await p.post(SELF_RESET, { email: 'grace@example.com' }), 500));
    });
  });

  it('password change: every documented status', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await setTemporaryPassword(org, userId, 'temporary pass 1');
    const p = as(await signinToken(org));
    const required = check('post', SIGNIN, await p.post(SIGNIN, { email: 'ada@example.com', password: 'temporary pass 1' }), 403);
    expect(required.body.reason).to.equal('password_change_required');
    const body = { email: 'ada@example.com', currentPassword: 'temporary pass 1', newPassword: 'my own password' };
    check('post', CHANGE, await p.post(CHANGE, { ...body, newPassword: 'short' }), 400);
    check('post', CHANGE, await as().post(CHANGE, body), 401);
    check('post', CHANGE, await as(org.adminToken).post(CHANGE, body), 403);
    check('post', CHANGE, await p.post(CHANGE, body), 201);
    check('post', CHANGE, await p.post(CHANGE, { ...body, currentPassword: 'temporary pass 1', newPassword: 'another one' }), 401);

    const invited = await as(org.adminToken).post('/api/v1/invitations', { email: 'grace@example.com' }).expect(201);
    expect(invited.body.userId).to.be.a('string');
    const refused = check('post', CHANGE, await p.post(CHANGE, { ...body, email: 'grace@example.com' }), 403);
    expect(refused.body.reason).to.equal('invited');
    for (let i = 0; i < 5; i++) await p.post(CHANGE, { ...body, email: 'hopper@example.com' }).expect(401);
    check('post', CHANGE, await p.post(CHANGE, { ...body, email: 'hopper@example.com' }), 429);
    await failing(h().services.sessions, ['changePassword'], async () => {
      expectNoInternals(check('post', CHANGE, await p.post(CHANGE, body), 500));
    });
  });

  it('a user\'s sessions (admin): every documented status', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    const p = as(await signinToken(org));
    const a = as(org.adminToken);
    const session = (await p.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }).expect(201)).body as { id: string };
    await p.post(SIGNIN, { email: 'ada@example.com', password: PASSWORD }).expect(201);
    const list = `/api/v1/users/${userId}/sessions`;

    const listed = check('get', SESSIONS, await a.get(list), 200);
    expect(listed.body.items).to.have.length(2);
    check('get', SESSIONS, await a.get('/api/v1/users/nope/sessions'), 404);
    check('get', SESSIONS, await as().get(list), 401);
    check('get', SESSIONS, await as(org.scimToken).get(list), 403);

    check('delete', SESSION, await a.delete(`${list}/${session.id}`), 204);
    check('delete', SESSION, await a.delete(`${list}/${session.id}`), 404);
    check('delete', SESSION, await as().delete(`${list}/${session.id}`), 401);
    check('delete', SESSION, await as(org.scimToken).delete(`${list}/${session.id}`), 403);

    const all = check('delete', SESSIONS, await a.delete(list), 200);
    expect(all.body).to.deep.equal({ ended: 1 });
    check('delete', SESSIONS, await a.delete('/api/v1/users/nope/sessions'), 404);
    check('delete', SESSIONS, await as().delete(list), 401);
    check('delete', SESSIONS, await as(org.scimToken).delete(list), 403);

    await failing(h().services.sessions, ['list', 'terminate', 'terminateAll'], async () => {
      expectNoInternals(check('get', SESSIONS, await a.get(list), 500));
      expectNoInternals(check('delete', SESSION, await a.delete(`${list}/${session.id}`), 500));
      expectNoInternals(check('delete', SESSIONS, await a.delete(list), 500));
    });
  });

  it('password reset (admin request, public completion): every documented status', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    const a = as(org.adminToken);
    const reset = `/api/v1/users/${userId}/password-reset`;

    check('post', RESET, await a.post(reset), 202);
    const first = await resetLink(org);
    check('post', RESET, await a.post('/api/v1/users/nope/password-reset'), 404);
    check('post', RESET, await as().post(reset), 401);
    check('post', RESET, await as(org.scimToken).post(reset), 403);
    const invited = (await a.post('/api/v1/invitations', { email: 'grace@example.com' }).expect(201)).body.userId as string;
    check('post', RESET, await a.post(`/api/v1/users/${invited}/password-reset`), 409);

    check('post', COMPLETE, await as().post(COMPLETE, { token: 'unknown', password: 'long enough' }), 400);
    check('post', COMPLETE, await as().post(COMPLETE, { token: first, password: 'long enough' }), 200);
    check('post', COMPLETE, await as().post(COMPLETE, { token: first, password: 'long enough' }), 410);

    await failing(h().services.passwordResets, ['request', 'complete'], async () => {
      expectNoInternals(check('post', RESET, await a.post(reset), 500));
      expectNoInternals(check('post', COMPLETE, await as().post(COMPLETE, { token: 't', password: 'long enough' }), 500));
    });
  });
});
