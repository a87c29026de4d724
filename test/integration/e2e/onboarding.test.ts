import { expect } from 'chai';
import supertest from 'supertest';
import { appWith, newOrg } from '../../support/harness.js';
import { SmtpSink } from '../../support/smtp-sink.js';
import { tokenFromLink } from '../admin/helpers.js';

/**
 * Issue 7's "Done when", end to end through HTTP, a real database and a real SMTP server: an admin
 * invites a user; the message arrives over SMTP; the user accepts with the link and signs in on the
 * platform's login page; the KPIs change and the user moves from the Pending tab to the Active tab;
 * suspending the user ends its session at once.
 */
describe('End to end: invite, SMTP, accept, sign in, KPIs, tabs, suspend', () => {
  const sink = new SmtpSink();
  before(() => sink.start());
  after(() => sink.stop());

  it('takes one user from invitation to a session, and suspending ends it', async () => {
    const app = appWith(sink.settings);
    const org = await newOrg({ domains: ['example.com'] });
    const adminAuth = `Bearer ${org.adminToken}`;
    const get = (path: string) => supertest(app).get(`/api/v1${path}`).set('Authorization', adminAuth);
    const post = (path: string, body: object = {}) => supertest(app).post(`/api/v1${path}`).set('Authorization', adminAuth).send(body);

    // The platform's login page holds a token of scope `signin`, issued by the admin.
    const signin = (await post('/tokens', { name: 'login page', scopes: ['signin'] }).expect(201)).body.token as string;
    const login = (path: string, body: object) => supertest(app).post(`/api/v1${path}`).set('Authorization', `Bearer ${signin}`).send(body);

    const before = (await get('/kpis').expect(200)).body;
    expect(before).to.deep.equal({ invited: 0, completed: 0, pending: 0, completionRate: 0 });

    // 1. Invite.
    const invited = await post('/invitations', { email: 'grace@example.com', name: 'Grace Hopper', role: 'admin' }).expect(201);
    expect(invited.body.delivery).to.deep.equal({ channel: 'smtp', sent: true });
    const userId = invited.body.userId as string;
    expect((await get('/kpis').expect(200)).body).to.deep.equal({ invited: 1, completed: 0, pending: 1, completionRate: 0 });
    const pendingTab = (await get('/users?tab=pending').expect(200)).body;
    expect(pendingTab.tabs).to.deep.equal({ active: 0, pending: 1, deleted: 0 });
    expect(pendingTab.items.map((u: { id: string }) => u.id)).to.deep.equal([userId]);

    // Not yet: an invited user cannot sign in.
    const early = await login('/sessions', { email: 'grace@example.com', password: 'correct horse battery' });
    expect(early.status).to.equal(403);
    expect(early.body.reason).to.equal('invited');

    // 2. The message arrived over SMTP; 3. the user follows its link and sets a password.
    const messages = sink.messagesTo('grace@example.com');
    expect(messages).to.have.length(1);
    expect(messages[0]).to.include('https://app.example.com/accept-invitation?token=');
    const accepted = await supertest(app)
      .post('/api/v1/invitations/accept')
      .send({ token: tokenFromLink(messages[0]!), password: 'correct horse battery' })
      .expect(200);
    expect(accepted.body).to.deep.equal({ userId, status: 'active' });

    // 4. Signs in.
    const session = await login('/sessions', { email: 'Grace@Example.com', password: 'correct horse battery' }).expect(201);
    expect(session.body.userId).to.equal(userId);
    const sessionToken = session.body.token as string;
    await login('/sessions/verify', { token: sessionToken }).expect(200);

    // 5. The KPIs changed, and the user moved from the Pending tab to the Active tab.
    expect((await get('/kpis').expect(200)).body).to.deep.equal({ invited: 1, completed: 1, pending: 0, completionRate: 1 });
    const activeTab = (await get('/users?tab=active').expect(200)).body;
    expect(activeTab.tabs).to.deep.equal({ active: 1, pending: 0, deleted: 0 });
    expect(activeTab.items.map((u: { id: string }) => u.id)).to.deep.equal([userId]);
    expect(activeTab.items[0]).to.include({ status: 'active', role: 'admin', name: 'Grace Hopper' });
    expect(activeTab.items[0].onboardedAt).to.be.a('string');
    expect((await get('/users?tab=pending').expect(200)).body.items).to.deep.equal([]);
    const sessions = (await get(`/users/${userId}/sessions`).expect(200)).body;
    expect(sessions.items.map((s: { id: string }) => s.id)).to.deep.equal([session.body.id]);

    // 6. Suspending the user ends its session at once, and sign-in is refused.
    await post(`/users/${userId}/suspend`).expect(200);
    await login('/sessions/verify', { token: sessionToken }).expect(401);
    const after = (await get(`/users/${userId}/sessions`).expect(200)).body;
    expect(after.items.filter((s: { endedAt?: string }) => !s.endedAt)).to.deep.equal([]);
    const refused = await login('/sessions', { email: 'grace@example.com', password: 'correct horse battery' });
    expect(refused.status).to.equal(403);
    expect(refused.body.reason).to.equal('suspended');
  });
});
