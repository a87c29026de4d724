import { expect } from 'chai';
import supertest from 'supertest';
import { appWith, api, h, newOrg, userBody } from '../../support/harness.js';
import { accept, admin, expectProblem, tokenFromLink } from './helpers.js';
import { SmtpSink } from '../../support/smtp-sink.js';

const LIFECYCLE = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const HOUR = 60 * 60 * 1000;

interface OutboxItem {
  to: string;
  subject: string;
  text: string;
  link?: string;
}

async function outbox(org: Awaited<ReturnType<typeof newOrg>>): Promise<OutboxItem[]> {
  return (await admin(org).get('/outbox').expect(200)).body.items as OutboxItem[];
}

describe('Invitations (/api/v1/invitations)', () => {
  afterEach(() => h().clock.reset());

  it('POST creates an invited user holding a seat, with invitedAt, role, name and company; the link goes to the outbox', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 5, companies: ['Acme'] });
    const res = await admin(org).post('/invitations', { email: 'ada@example.com', role: 'admin', name: 'Ada Lovelace', company: 'Acme' }).expect(201);
    expect(res.body).to.include({ email: 'ada@example.com', state: 'pending', resendCount: 0 });
    expect(res.body.delivery).to.deep.equal({ channel: 'outbox', sent: true });
    expect(res.headers.location).to.equal(`https://roster.test/scim/v2/Users/${res.body.userId}`);
    const ttl = Date.parse(res.body.expiresAt) - Date.parse(res.body.invitedAt);
    expect(ttl).to.equal(168 * HOUR);

    const user = await org.scim.get(`/Users/${res.body.userId}`).expect(200);
    expect(user.body[LIFECYCLE].status).to.equal('invited');
    expect(user.body[LIFECYCLE].invitedAt).to.equal(res.body.invitedAt);
    expect(user.body.active).to.equal(true);
    expect(user.body.displayName).to.equal('Ada Lovelace');
    expect(user.body[ENTERPRISE].organization).to.equal('Acme');
    expect((user.body.roles as { value: string }[]).map((r) => r.value)).to.include('admin');
    expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(1);

    const messages = await outbox(org);
    expect(messages).to.have.length(1);
    expect(messages[0]!.to).to.equal('ada@example.com');
    expect(messages[0]!.link).to.match(/^https:\/\/roster\.test\/accept-invitation\?token=/);
    expect(messages[0]!.text).to.include(messages[0]!.link!);
    // Only the hash is stored.
    const token = tokenFromLink(messages[0]!.text);
    const stored = await h().store.models.InvitationToken.collection.find({ userId: res.body.userId }).toArray();
    expect(JSON.stringify(stored)).to.not.include(token);

    const read = await admin(org).get(`/invitations/${res.body.userId}`).expect(200);
    expect(read.body).to.include({ userId: res.body.userId, state: 'pending' });
  });

  it('applies the domain, seat and uniqueness rules, and validates role and company', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 2, companies: ['Acme'] });
    expectProblem(await admin(org).post('/invitations', { email: 'x@other.org' }), 400, 'invalidValue');
    expectProblem(await admin(org).post('/invitations', { email: 'not-an-email' }), 400, 'invalidValue');
    expectProblem(await admin(org).post('/invitations', { email: 'x@example.com', role: 'wizard' }), 400, 'invalidValue');
    expectProblem(await admin(org).post('/invitations', { email: 'x@example.com', company: 'Initech' }), 400, 'invalidValue');
    await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    expectProblem(await admin(org).post('/invitations', { email: 'ADA@example.com' }), 409, 'uniqueness');
    // The failed invitation gave its seat back.
    await admin(org).post('/invitations', { email: 'grace@example.com' }).expect(201);
    const full = await admin(org).post('/invitations', { email: 'hopper@example.com' });
    expectProblem(full, 403);
    expect(full.body.detail).to.match(/seat limit reached: 2 of 2/);
    expect(await outbox(org)).to.have.length(2);
  });

  it('accept (public) sets the password, makes the user active with onboardedAt; the link is single-use', async () => {
    const org = await newOrg();
    const invited = await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    const token = tokenFromLink((await outbox(org))[0]!.text);
    const res = await accept(token).expect(200);
    expect(res.body).to.deep.equal({ userId: invited.body.userId, status: 'active' });
    const user = await org.scim.get(`/Users/${invited.body.userId}`).expect(200);
    expect(user.body[LIFECYCLE].status).to.equal('active');
    expect(user.body[LIFECYCLE].onboardedAt).to.be.a('string');
    const stored = await h().store.models.User.collection.findOne({ _id: invited.body.userId as never });
    expect(stored?.passwordHash).to.match(/^scrypt\$/);
    expectProblem(await accept(token), 410);
    const read = await admin(org).get(`/invitations/${invited.body.userId}`).expect(200);
    expect(read.body.state).to.equal('accepted');
    expect(read.body.acceptedAt).to.be.a('string');
  });

  it('accept answers 400 for an unknown token or a short password, 410 for an expired one', async () => {
    const org = await newOrg({ invitationTtlHours: 2 });
    await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    const token = tokenFromLink((await outbox(org))[0]!.text);
    expectProblem(await accept('no-such-token'), 400, 'invalidValue');
    const short = await accept(token, 'short');
    expectProblem(short, 400, 'invalidValue');
    expect(short.body.detail).to.match(/^password:/);
    h().clock.advance(2 * HOUR + 1000);
    const expired = await accept(token);
    expectProblem(expired, 410);
    expect(expired.body.detail).to.match(/expired/);
  });

  it('resend sends a new link, the old one stops working; resendCount and lastSentAt are kept', async () => {
    const org = await newOrg({ invitationTtlHours: 2 });
    const invited = await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    const oldToken = tokenFromLink((await outbox(org))[0]!.text);
    h().clock.advance(HOUR);
    const resent = await admin(org).post(`/invitations/${invited.body.userId}/resend`).expect(200);
    expect(resent.body.resendCount).to.equal(1);
    expect(Date.parse(resent.body.lastSentAt)).to.be.greaterThan(Date.parse(invited.body.lastSentAt));
    expect(resent.body.invitedAt).to.equal(invited.body.invitedAt);
    const read = await admin(org).get(`/invitations/${invited.body.userId}`).expect(200);
    expect(read.body).to.include({ resendCount: 1, lastSentAt: resent.body.lastSentAt });
    const messages = await outbox(org);
    expect(messages).to.have.length(2);
    const newToken = tokenFromLink(messages[0]!.text);
    expect(newToken).to.not.equal(oldToken);
    const old = await accept(oldToken);
    expectProblem(old, 410);
    expect(old.body.detail).to.match(/replaced/);
    // The new link counts from the resend: still valid after the old one would have expired.
    h().clock.advance(90 * 60 * 1000);
    await accept(newToken).expect(200);
    expectProblem(await admin(org).post(`/invitations/${invited.body.userId}/resend`), 409);
    expectProblem(await admin(org).post('/invitations/nope/resend'), 404);
  });

  it('cancel removes the invited user and releases its seat; the link dies; the audit trail stays', async () => {
    const org = await newOrg({ seatLimit: 1 });
    const invited = await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    const token = tokenFromLink((await outbox(org))[0]!.text);
    await admin(org).delete(`/invitations/${invited.body.userId}`).expect(204);
    await org.scim.get(`/Users/${invited.body.userId}`).expect(404);
    expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(0);
    expect(await h().store.models.User.collection.findOne({ _id: invited.body.userId as never })).to.equal(null);
    expectProblem(await accept(token), 410);
    const audit = await admin(org).get(`/audit?userId=${invited.body.userId}`).expect(200);
    const actions = (audit.body.items as { action: string }[]).map((e) => e.action);
    expect(actions).to.include.members(['user.created', 'invitation.sent', 'invitation.cancelled']);
    // The seat is free again, and so is the address.
    await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    expectProblem(await admin(org).delete(`/invitations/${invited.body.userId}`), 409);
    expectProblem(await admin(org).delete('/invitations/nope'), 404);
  });

  it('cancel answers 409 for a user that already accepted, and keeps it', async () => {
    const org = await newOrg();
    const invited = await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    await accept(tokenFromLink((await outbox(org))[0]!.text)).expect(200);
    expectProblem(await admin(org).delete(`/invitations/${invited.body.userId}`), 409);
    await org.scim.get(`/Users/${invited.body.userId}`).expect(200);
  });

  it('accepting twice at the same time activates once', async () => {
    const org = await newOrg();
    await admin(org).post('/invitations', { email: 'ada@example.com' }).expect(201);
    const token = tokenFromLink((await outbox(org))[0]!.text);
    const results = await Promise.all([accept(token), accept(token), accept(token)]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 410, 410]);
  });

  it('does not let one organization see, resend or cancel another\'s invitations', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const invited = await admin(b).post('/invitations', { email: 'ada@example.com' }).expect(201);
    expectProblem(await admin(a).get(`/invitations/${invited.body.userId}`), 404);
    expectProblem(await admin(a).post(`/invitations/${invited.body.userId}/resend`), 404);
    expectProblem(await admin(a).delete(`/invitations/${invited.body.userId}`), 404);
    expect(await outbox(a)).to.have.length(0);
  });

  it('answers 401 without a token and 403 to a scim token', async () => {
    const org = await newOrg();
    expectProblem(await api().post('/api/v1/invitations').send({ email: 'a@example.com' }), 401);
    expectProblem(await admin(org, org.scimToken).post('/invitations', { email: 'a@example.com' }), 403);
    expectProblem(await api().get('/api/v1/outbox'), 401);
  });

  describe('delivery by SMTP', () => {
    const sink = new SmtpSink();
    const received = sink.received;

    before(() => sink.start());
    after(() => sink.stop());

    it('sends the accept link by SMTP when SMTP_URL is set, and the link accepts', async () => {
      const app = appWith(sink.settings);
      const org = await newOrg();
      const res = await supertest(app)
        .post('/api/v1/invitations')
        .set('Authorization', `Bearer ${org.adminToken}`)
        .send({ email: 'ada@example.com', name: 'Ada' })
        .expect(201);
      expect(res.body.delivery).to.deep.equal({ channel: 'smtp', sent: true });
      expect(received).to.have.length(1);
      const message = received[0]!.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      expect(message).to.match(/^To: ada@example\.com/m);
      expect(message).to.match(/^From: Roster <roster@example\.com>/m);
      expect(message).to.include('https://app.example.com/accept-invitation?token=');
      // Nothing went to the outbox.
      expect(await outbox(org)).to.have.length(0);
      const token = tokenFromLink(message);
      const accepted = await supertest(app).post('/api/v1/invitations/accept').send({ token, password: 'correct horse battery' }).expect(200);
      expect(accepted.body.userId).to.equal(res.body.userId);
      const user = await org.scim.get(`/Users/${res.body.userId as string}`).expect(200);
      expect(user.body[LIFECYCLE].status).to.equal('active');
    });

    it('keeps the invitation when the SMTP server is unreachable, and says so', async () => {
      const app = appWith({ SMTP_URL: 'smtp://127.0.0.1:1' });
      const org = await newOrg();
      const res = await supertest(app)
        .post('/api/v1/invitations')
        .set('Authorization', `Bearer ${org.adminToken}`)
        .send({ email: 'ada@example.com' })
        .expect(201);
      expect(res.body.delivery).to.include({ channel: 'smtp', sent: false });
      expect(res.body.delivery.error).to.be.a('string');
      await org.scim.get(`/Users/${res.body.userId as string}`).expect(200);
    });
  });
});

describe('Onboarding KPIs (GET /api/v1/kpis)', () => {
  it('answers zeros and a 0 completion rate without invitations', async () => {
    const org = await newOrg();
    const res = await admin(org).get('/kpis').expect(200);
    expect(res.body).to.deep.equal({ invited: 0, completed: 0, pending: 0, completionRate: 0 });
  });

  it('counts every invitation ever sent, the accepted ones and those still pending', async () => {
    const org = await newOrg();
    await org.scim.post('/Users', userBody('direct@example.com')).expect(201);
    const ids: string[] = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']) {
      ids.push((await admin(org).post('/invitations', { email }).expect(201)).body.userId as string);
    }
    const links = (await outbox(org)).map((m) => tokenFromLink(m.text));
    // Newest first: links[3] is a@, links[2] is b@.
    await accept(links[3]!).expect(200);
    await accept(links[2]!).expect(200);
    await admin(org).delete(`/invitations/${ids[3]}`).expect(204);
    const res = await admin(org).get('/kpis').expect(200);
    expect(res.body).to.deep.equal({ invited: 4, completed: 2, pending: 1, completionRate: 0.5 });
    expectProblem(await api().get('/api/v1/kpis'), 401);
    expectProblem(await admin(org, org.scimToken).get('/kpis'), 403);
  });
});
