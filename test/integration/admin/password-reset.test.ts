import { expect } from 'chai';
import supertest from 'supertest';
import { SmtpSink } from '../../support/smtp-sink.js';
import { appWith, api, h, newOrg, PATCH_OP, type TestOrg } from '../../support/harness.js';
import { admin, expectProblem } from './helpers.js';
import { withStub } from '../../support/contract-coverage.js';
import { activeUser, auditActions, expectRefusal, HOUR, MINUTE, PASSWORD, platform, setTemporaryPassword, signinToken } from './session-helpers.js';

interface OutboxItem {
  kind: string;
  to: string;
  subject: string;
  text: string;
  link?: string;
}

async function outbox(org: TestOrg): Promise<OutboxItem[]> {
  return (await admin(org).get('/outbox').expect(200)).body.items as OutboxItem[];
}

/** The token in a reset link (`.../reset-password?token=...`). */
function resetToken(text: string): string {
  const match = /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no reset link in: ${text}`);
  return decodeURIComponent(match[1]);
}

async function latestResetToken(org: TestOrg): Promise<string> {
  const message = (await outbox(org)).find((m) => m.kind === 'password_reset');
  if (!message) throw new Error('no password reset message in the outbox');
  return resetToken(message.text);
}

function complete(token: string, password = 'a fresh password') {
  return api().post('/api/v1/password-resets/complete').send({ token, password });
}

describe('Password reset (/api/v1/users/{id}/password-reset, /api/v1/password-resets/complete)', () => {
  afterEach(() => h().clock.reset());

  it('an admin request emails a single-use link (202 with delivery, never the secret); completing it sets the password', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    const res = await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    expect(res.body).to.deep.include({ userId, email: 'ada@example.com', delivery: { channel: 'outbox', sent: true } });
    expect(Date.parse(res.body.expiresAt) - Date.now()).to.be.within(HOUR - MINUTE, HOUR);

    const messages = await outbox(org);
    expect(messages).to.have.length(1);
    expect(messages[0]).to.include({ kind: 'password_reset', to: 'ada@example.com' });
    expect(messages[0]!.link).to.match(/^https:\/\/roster\.test\/reset-password\?token=/);
    const token = resetToken(messages[0]!.text);
    expect(JSON.stringify(res.body)).to.not.include(token);
    const stored = await h().store.models.PasswordReset.collection.find({ userId }).toArray();
    expect(stored).to.have.length(1);
    expect(JSON.stringify(stored)).to.not.include(token);

    const done = await complete(token, 'a fresh password').expect(200);
    expect(done.body).to.deep.equal({ userId });
    const p = platform(await signinToken(org));
    expectRefusal(await p.signIn('ada@example.com', PASSWORD), 401, 'invalid_credentials');
    await p.signIn('ada@example.com', 'a fresh password').expect(201);

    const used = await complete(token, 'yet another one');
    expectProblem(used, 410);
    expect(used.body.detail).to.match(/already used/);
    const actions = (await auditActions(org, userId)).map((e) => e.action);
    expect(actions).to.include.members(['password_reset.requested', 'password_reset.completed', 'user.updated']);
  });

  it('completing a reset ends every session of the user and clears a temporary password', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    const p = platform(await signinToken(org));
    const session = await p.signIn('ada@example.com', PASSWORD).expect(201);
    await setTemporaryPassword(org, userId, 'temporary pass 1');
    // Setting the temporary password already ended the session; sign in is now refused until changed.
    expectRefusal(await p.verify(session.body.token as string), 401, 'session_ended');
    expectRefusal(await p.signIn('ada@example.com', 'temporary pass 1'), 403, 'password_change_required');

    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    await complete(await latestResetToken(org), 'a fresh password').expect(200);
    const stored = await h().store.models.User.collection.findOne({ _id: userId as never });
    expect(stored?.mustChangePassword).to.equal(undefined);
    const fresh = await p.signIn('ada@example.com', 'a fresh password').expect(201);

    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    await complete(await latestResetToken(org), 'the third password').expect(200);
    const ended = await p.verify(fresh.body.token as string);
    expectRefusal(ended, 401, 'session_ended');
    expect(ended.body.detail).to.include('password_changed');
  });

  it('answers 410 for an expired link, 400 for an unknown one or a short password', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    const token = await latestResetToken(org);
    expectProblem(await complete('no-such-token'), 400, 'invalidValue');
    const short = await complete(token, 'short');
    expectProblem(short, 400, 'invalidValue');
    expect(short.body.detail).to.match(/^password:/);
    h().clock.advance(HOUR + 1000);
    const expired = await complete(token);
    expectProblem(expired, 410);
    expect(expired.body.detail).to.match(/expired/);
    await platform(await signinToken(org)).signIn('ada@example.com', PASSWORD).expect(201);
  });

  it('a new request replaces the previous link', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    const first = await latestResetToken(org);
    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    const second = await latestResetToken(org);
    expect(second).to.not.equal(first);
    const old = await complete(first);
    expectProblem(old, 410);
    expect(old.body.detail).to.match(/replaced/);
    await complete(second).expect(200);
  });

  it('refuses invited (409: they use their invitation) and suspended users (409), unknown users (404), other organizations (404)', async () => {
    const org = await newOrg();
    const invited = (await admin(org).post('/invitations', { email: 'grace@example.com' }).expect(201)).body.userId as string;
    const invitedRes = await admin(org).post(`/users/${invited}/password-reset`);
    expectProblem(invitedRes, 409);
    expect(invitedRes.body.detail).to.match(/invitation/);
    const userId = await activeUser(org, 'ada@example.com');
    await org.scim.patch(`/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }).expect(200);
    expectProblem(await admin(org).post(`/users/${userId}/password-reset`), 409);
    expectProblem(await admin(org).post('/users/nope/password-reset'), 404);
    const other = await newOrg();
    const theirs = await activeUser(other, 'ada@example.com');
    expectProblem(await admin(org).post(`/users/${theirs}/password-reset`), 404);
    expect((await outbox(org)).filter((m) => m.kind === 'password_reset')).to.deep.equal([]);
  });

  it('a suspension, a deletion or another password change after the request makes the link 410', async () => {
    const org = await newOrg();
    const suspended = await activeUser(org, 'ada@example.com');
    await admin(org).post(`/users/${suspended}/password-reset`).expect(202);
    const a = await latestResetToken(org);
    await org.scim.patch(`/Users/${suspended}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }).expect(200);
    expectProblem(await complete(a), 410);

    const deleted = await activeUser(org, 'grace@example.com');
    await admin(org).post(`/users/${deleted}/password-reset`).expect(202);
    const b = await latestResetToken(org);
    await org.scim.delete(`/Users/${deleted}`).expect(204);
    expectProblem(await complete(b), 410);

    const changed = await activeUser(org, 'hopper@example.com');
    await admin(org).post(`/users/${changed}/password-reset`).expect(202);
    const c = await latestResetToken(org);
    await platform(await signinToken(org)).changePassword('hopper@example.com', PASSWORD, 'changed it myself').expect(201);
    const res = await complete(c);
    expectProblem(res, 410);
    expect(res.body.detail).to.match(/cancelled/);
  });

  it('answers 401 without a token and 403 to a scim or signin token', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    expectProblem(await api().post(`/api/v1/users/${userId}/password-reset`), 401);
    expectProblem(await admin(org, org.scimToken).post(`/users/${userId}/password-reset`), 403);
    expectProblem(await admin(org, await signinToken(org)).post(`/users/${userId}/password-reset`), 403);
  });

  it('completing the same link twice at the same time sets the password once', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    const token = await latestResetToken(org);
    const results = await Promise.all([complete(token, 'first password'), complete(token, 'second password'), complete(token, 'third password')]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 410, 410]);
  });

  it('a link sent before a suspension stays dead after the user is activated again, even if no listener cancelled it', async () => {
    const org = await newOrg();
    const userId = await activeUser(org, 'ada@example.com');
    await admin(org).post(`/users/${userId}/password-reset`).expect(202);
    const token = resetToken((await outbox(org)).find((m) => m.kind === 'password_reset')!.text);
    h().clock.advance(1000);
    await withStub(h().services.passwordResets.repo, 'endLive', (async () => {
      throw new Error('listener down');
    }) as never, async () => {
      await admin(org).post(`/users/${userId}/suspend`).expect(200);
    });
    await admin(org).post(`/users/${userId}/activate`).expect(200);
    const res = await complete(token);
    expectProblem(res, 410);
    expect(res.body.detail).to.include('suspended after it was sent');
  });

  describe('from the login page (POST /api/v1/sessions/password-reset, scope signin)', () => {
    it('answers 202 for any address and sends a link only to an active account', async () => {
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      await admin(org).post('/invitations', { email: 'grace@example.com' }).expect(201);
      const p = platform(await signinToken(org));
      const res = await p.requestReset('Ada@Example.com').expect(202);
      expect(res.text).to.equal('');
      await p.requestReset('nobody@example.com').expect(202);
      await p.requestReset('grace@example.com').expect(202);
      await h().services.passwordResets.settled();
      const resets = (await outbox(org)).filter((m) => m.kind === 'password_reset');
      expect(resets.map((m) => m.to)).to.deep.equal(['ada@example.com']);
      await complete(resetToken(resets[0]!.text), 'reset by myself').expect(200);
      await p.signIn('ada@example.com', 'reset by myself').expect(201);
      const requested = (await auditActions(org, userId)).find((e) => e.action === 'password_reset.requested');
      expect(requested?.changes).to.deep.include({ path: 'requestedBy', old: null, new: 'self' });
    });

    it('answers before the lookup and the delivery are done, so its timing tells nothing about the address', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      let release: () => void = () => undefined;
      await withStub(h().services.passwordResets, 'requestBySelf', (() => new Promise<void>((r) => (release = r))) as never, async () => {
        // The request is still "delivering" (it never settles until released), yet the answer is here.
        await p.requestReset('ada@example.com').expect(202);
        release();
        await h().services.passwordResets.settled();
      });
    });

    it('sends at most one message a minute per account', async () => {
      const org = await newOrg();
      await activeUser(org, 'ada@example.com');
      const p = platform(await signinToken(org));
      const settled = () => h().services.passwordResets.settled();
      await p.requestReset('ada@example.com').expect(202);
      await settled();
      await p.requestReset('ada@example.com').expect(202);
      await settled();
      expect(await outbox(org)).to.have.length(1);
      h().clock.advance(MINUTE + 1000);
      await p.requestReset('ada@example.com').expect(202);
      await settled();
      expect(await outbox(org)).to.have.length(2);
    });

    it('answers 400 for a malformed body and 403 to an admin token', async () => {
      const org = await newOrg();
      const p = platform(await signinToken(org));
      expectProblem(await api().post('/api/v1/sessions/password-reset').set('Authorization', `Bearer ${await signinToken(org)}`).send({}), 400, 'invalidValue');
      expectProblem(await platform(org.adminToken).requestReset('ada@example.com'), 403);
      await p.requestReset('ada@example.com').expect(202);
    });
  });

  describe('delivery by SMTP', () => {
    const sink = new SmtpSink();
    const received = sink.received;

    before(() => sink.start());
    after(() => sink.stop());

    it('sends the reset link by SMTP when SMTP_URL is set, with ROSTER_PUBLIC_URL as its base, and the link works', async () => {
      const app = appWith(sink.settings);
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const res = await supertest(app)
        .post(`/api/v1/users/${userId}/password-reset`)
        .set('Authorization', `Bearer ${org.adminToken}`)
        .expect(202);
      expect(res.body.delivery).to.deep.equal({ channel: 'smtp', sent: true });
      expect(received).to.have.length(1);
      const message = received[0]!.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      expect(message).to.match(/^To: ada@example\.com/m);
      expect(message).to.match(/^From: Roster <roster@example\.com>/m);
      expect(message).to.include('https://app.example.com/reset-password?token=');
      expect(await outbox(org)).to.have.length(0);
      await supertest(app).post('/api/v1/password-resets/complete').send({ token: resetToken(message), password: 'mailed password' }).expect(200);
      await platform(await signinToken(org)).signIn('ada@example.com', 'mailed password').expect(201);
    });

    it('keeps the link and says so when the SMTP server is unreachable', async () => {
      const app = appWith({ SMTP_URL: 'smtp://127.0.0.1:1' });
      const org = await newOrg();
      const userId = await activeUser(org, 'ada@example.com');
      const res = await supertest(app).post(`/api/v1/users/${userId}/password-reset`).set('Authorization', `Bearer ${org.adminToken}`).expect(202);
      expect(res.body.delivery).to.include({ channel: 'smtp', sent: false });
      expect(res.body.delivery.error).to.be.a('string');
    });
  });
});
