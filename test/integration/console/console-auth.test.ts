import { expect } from 'chai';
import type supertest from 'supertest';
import { api, appWith, h, newOrg, type TestOrg } from '../../support/harness.js';
import { activeUser, expectRefusal, PASSWORD, setTemporaryPassword } from '../admin/session-helpers.js';
import { CONSOLE_COOKIE } from '../../../src/http/console/console-session.js';

const ADMIN_ROLE = { roles: [{ value: 'admin', primary: true }] };

interface Console {
  cookie: string;
  csrf: string;
}

function cookieOf(res: supertest.Response): string {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${CONSOLE_COOKIE}=`));
  if (!header) throw new Error(`no console cookie in ${res.status} ${res.text}`);
  return header;
}

function signIn(org: TestOrg, email: string, password = PASSWORD) {
  return api().post('/admin/api/session').send({ email, password, organization: org.id });
}

async function signedIn(org: TestOrg, email: string, password = PASSWORD): Promise<Console> {
  const res = await signIn(org, email, password).expect(201);
  return { cookie: cookieOf(res).split(';')[0]!, csrf: res.body.csrfToken as string };
}

/** Side-API calls carrying the console's cookie (and CSRF token on writes unless told otherwise). */
function asConsole(c: Console) {
  return {
    get: (path: string) => api().get(path).set('Cookie', c.cookie),
    /** `csrf` null: the request carries no CSRF token. */
    post: (path: string, body: object = {}, csrf: string | null = c.csrf) => {
      const t = api().post(path).set('Cookie', c.cookie);
      return (csrf === null ? t : t.set('X-CSRF-Token', csrf)).send(body);
    },
    delete: (path: string) => api().delete(path).set('Cookie', c.cookie).set('X-CSRF-Token', c.csrf),
  };
}

describe('Console sign-in and sessions', () => {
  let org: TestOrg;
  beforeEach(async () => {
    org = await newOrg({ domains: ['example.com'] });
  });

  it('signs an administrator in with an HttpOnly SameSite=Strict cookie that the side API accepts', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const res = await signIn(org, 'root@example.com').expect(201);
    const cookie = cookieOf(res);
    expect(cookie).to.match(/HttpOnly/).and.match(/SameSite=Strict/).and.match(/Path=\//);
    expect(cookie).to.not.match(/Secure/);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.body.user).to.include({ userName: 'root@example.com', status: 'active' });
    expect(res.body.organization).to.deep.equal({ id: org.id, name: res.body.organization.name });
    expect(res.text).to.not.include('rss.');

    const c = { cookie: cookie.split(';')[0]!, csrf: res.body.csrfToken as string };
    const me = await asConsole(c).get('/admin/api/session').expect(200);
    expect(me.body.csrfToken).to.equal(c.csrf);
    expect(me.body.user.userName).to.equal('root@example.com');
    const list = await asConsole(c).get('/api/v1/users').expect(200);
    expect(list.body.tabs.active).to.equal(1);

    // A write is audited as the person, not as a token.
    const invited = await asConsole(c).post('/api/v1/invitations', { email: 'new@example.com' }).expect(201);
    const audit = await asConsole(c).get(`/api/v1/audit?userId=${invited.body.userId}`).expect(200);
    expect(audit.body.items[0].actor).to.deep.include({ type: 'user', name: 'root@example.com' });
  });

  it('sets Secure on the cookie when the request came over https (through a loopback proxy)', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const res = await signIn(org, 'root@example.com').set('X-Forwarded-Proto', 'https').expect(201);
    expect(cookieOf(res)).to.match(/; Secure/);
  });

  it('refuses every state-changing request without the session CSRF token, and accepts safe ones', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const c = await signedIn(org, 'root@example.com');
    expectRefusal(await asConsole(c).post('/api/v1/invitations', { email: 'a@example.com' }, null), 403, 'csrf');
    expectRefusal(await asConsole(c).post('/api/v1/invitations', { email: 'a@example.com' }, 'x'.repeat(43)), 403, 'csrf');
    expectRefusal(await api().patch('/api/v1/organization').set('Cookie', c.cookie).send({ seatLimit: 3 }), 403, 'csrf');
    // Nothing was created by the refused requests.
    const pending = await asConsole(c).get('/api/v1/users?tab=pending').expect(200);
    expect(pending.body.tabs.pending).to.equal(0);
    // Another session's token does not fit this one.
    const other = await signedIn(org, 'root@example.com');
    expectRefusal(await asConsole(c).post('/api/v1/invitations', { email: 'a@example.com' }, other.csrf), 403, 'csrf');
    // Sign-out needs it too.
    expectRefusal(await asConsole(c).post('/admin/api/sign-out', {}, null), 403, 'csrf');
    await asConsole(c).get('/api/v1/users').expect(200);
  });

  it('prefers an Authorization header to the cookie, so admin tokens keep working', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const c = await signedIn(org, 'root@example.com');
    const res = await api().post('/api/v1/invitations').set('Cookie', c.cookie).set('Authorization', `Bearer ${org.adminToken}`).send({ email: 'b@example.com' });
    expect(res.status).to.equal(201);
    await api().get('/api/v1/users').set('Cookie', c.cookie).set('Authorization', 'Bearer nope').expect(401);
  });

  it('refuses a person whose roles do not grant manage_users, and ends the session it opened', async () => {
    const id = await activeUser(org, 'plain@example.com');
    const res = await signIn(org, 'plain@example.com');
    expectRefusal(res, 403, 'not_administrator');
    expect(res.headers['set-cookie']).to.equal(undefined);
    const live = await api().get(`/api/v1/users/${id}/sessions`).set('Authorization', `Bearer ${org.adminToken}`).expect(200);
    expect(live.body.items).to.deep.equal([]);
  });

  it('ends console access at once when the role no longer grants manage_users', async () => {
    const id = await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const c = await signedIn(org, 'root@example.com');
    await api().patch(`/api/v1/users/${id}`).set('Authorization', `Bearer ${org.adminToken}`).send({ role: 'user' }).expect(200);
    expectRefusal(await asConsole(c).get('/api/v1/users'), 403, 'not_administrator');
  });

  it('keeps the sign-in rules: wrong password, suspended, invited, lockout', async () => {
    const id = await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    expectRefusal(await signIn(org, 'root@example.com', 'wrong password'), 401, 'invalid_credentials');
    expectRefusal(await signIn(org, 'nobody@example.com', 'wrong password'), 401, 'invalid_credentials');
    await api().post('/api/v1/invitations').set('Authorization', `Bearer ${org.adminToken}`).send({ email: 'inv@example.com', role: 'admin' }).expect(201);
    expectRefusal(await signIn(org, 'inv@example.com', 'whatever1'), 403, 'invited');
    await api().post(`/api/v1/users/${id}/suspend`).set('Authorization', `Bearer ${org.adminToken}`).expect(200);
    expectRefusal(await signIn(org, 'root@example.com'), 403, 'suspended');

    await activeUser(org, 'lock@example.com', PASSWORD, ADMIN_ROLE);
    for (let i = 0; i < 5; i++) expectRefusal(await signIn(org, 'lock@example.com', `guess-${i}`), 401, 'invalid_credentials');
    const locked = await signIn(org, 'lock@example.com');
    expectRefusal(locked, 429, 'too_many_attempts');
    expect(Number(locked.headers['retry-after'])).to.be.greaterThan(0);
  });

  it('asks for a new password first when the password is temporary, then signs in', async () => {
    const id = await activeUser(org, 'temp@example.com', PASSWORD, ADMIN_ROLE);
    await setTemporaryPassword(org, id, 'Temporary-123');
    expectRefusal(await signIn(org, 'temp@example.com', 'Temporary-123'), 403, 'password_change_required');
    const short = await api().post('/admin/api/session/password-change').send({ email: 'temp@example.com', currentPassword: 'Temporary-123', newPassword: 'short', organization: org.id });
    expect(short.status).to.equal(400);
    expect(short.body.detail).to.match(/^newPassword: must be at least 8 characters/);
    const res = await api()
      .post('/admin/api/session/password-change')
      .send({ email: 'temp@example.com', currentPassword: 'Temporary-123', newPassword: 'my own password', organization: org.id })
      .expect(201);
    const c = { cookie: cookieOf(res).split(';')[0]!, csrf: res.body.csrfToken as string };
    await asConsole(c).get('/api/v1/users').expect(200);
  });

  it('ends the console session on sign-out, suspension and deletion', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const out = await signedIn(org, 'root@example.com');
    const res = await asConsole(out).post('/admin/api/sign-out').expect(204);
    expect(cookieOf(res)).to.match(/Max-Age=0/);
    expectRefusal(await asConsole(out).get('/api/v1/users'), 401, 'session_ended');
    expectRefusal(await asConsole(out).get('/admin/api/session'), 401, 'session_ended');

    const second = await activeUser(org, 'two@example.com', PASSWORD, ADMIN_ROLE);
    const c = await signedIn(org, 'root@example.com');
    const c2 = await signedIn(org, 'two@example.com');
    await asConsole(c).post(`/api/v1/users/${second}/suspend`).expect(200);
    expectRefusal(await asConsole(c2).get('/api/v1/users'), 401, 'session_ended');
    await asConsole(c).post(`/api/v1/users/${second}/activate`).expect(200);
    const c3 = await signedIn(org, 'two@example.com');
    await asConsole(c3).get('/api/v1/users').expect(200);
    await asConsole(c).delete(`/api/v1/users/${second}`).expect(204);
    expectRefusal(await asConsole(c3).get('/api/v1/users'), 401, 'session_ended');
  });

  it('rejects unknown and malformed cookies with 401', async () => {
    expectRefusal(await api().get('/api/v1/users').set('Cookie', `${CONSOLE_COOKIE}=rss.0123456789abcdef01234567.nope`), 401, 'session_invalid');
    expectRefusal(await api().get('/admin/api/session').set('Cookie', `${CONSOLE_COOKIE}=garbage`), 401, 'session_invalid');
    expectRefusal(await api().get('/admin/api/session'), 401, 'session_invalid');
  });

  it('asks which organization when Roster serves several, and rejects an unknown one', async () => {
    await activeUser(org, 'root@example.com', PASSWORD, ADMIN_ROLE);
    const options = await api().get('/admin/api/sign-in-options').expect(200);
    expect(options.body).to.deep.equal({ organizationRequired: true });
    const none = await api().post('/admin/api/session').send({ email: 'root@example.com', password: PASSWORD }).expect(400);
    expect(none.body.detail).to.match(/^organization: /);
    const unknown = await api().post('/admin/api/session').send({ email: 'root@example.com', password: PASSWORD, organization: 'nope' }).expect(400);
    expect(unknown.body.detail).to.match(/^organization: /);
  });
});

describe('Console first-run setup link', () => {
  it('creates the first administrator once, signs them in, and refuses the link afterwards', async () => {
    const org: TestOrg = await newOrg({ domains: ['example.com'] });
    const setup = h().services.consoleSetup;
    const stale = await setup.issue(org.id);
    const secret = await setup.issue(org.id);
    expect(secret).to.be.a('string');
    const post = (body: object) => api().post('/admin/api/setup').send(body);

    expect((await post({ token: stale, email: 'first@example.com', password: PASSWORD })).status).to.equal(404);
    const bad = await post({ token: secret, email: 'not an email', password: PASSWORD }).expect(400);
    expect(bad.body.detail).to.match(/^email: /);
    const short = await post({ token: secret, email: 'first@example.com', password: 'short' }).expect(400);
    expect(short.body.detail).to.match(/^password: /);
    // A domain rule refusal creates nothing and leaves the link usable.
    expect((await post({ token: secret, email: 'first@other.org', password: PASSWORD })).status).to.equal(400);

    const res = await post({ token: secret, email: 'first@example.com', name: 'First Admin', password: PASSWORD }).expect(201);
    expect(res.body.user).to.include({ userName: 'first@example.com', status: 'active' });
    const c = { cookie: cookieOf(res).split(';')[0]!, csrf: res.body.csrfToken as string };
    await asConsole(c).get('/api/v1/users').expect(200);

    const again = await post({ token: secret, email: 'second@example.com', password: PASSWORD });
    expect(again.status).to.equal(410);
    expect(await setup.issue(org.id)).to.equal(undefined);
    expect(await setup.renewIfPending()).to.equal(undefined);
    // The chosen password signs in (no change asked).
    await signIn(org, 'first@example.com').expect(201);
  });
});

describe('Console pages', () => {
  it('redirects / to the console and serves its files with a strict content security policy', async () => {
    const root = await api().get('/').expect(302);
    expect(root.headers.location).to.equal('/admin/');
    const page = await api().get('/admin/').expect(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'").and.not.include('unsafe-inline');
    expect(page.text).to.include('<main');
    await api().get('/admin/app.js').expect(200).expect('Content-Type', /javascript/);
    const missing = await api().get('/admin/api/nope').expect(404);
    expect(missing.headers['content-type']).to.match(/^application\/problem\+json/);
  });

  it('serves the accept-invitation and reset-password pages unless ROSTER_PUBLIC_URL points elsewhere', async () => {
    expect((await api().get('/accept-invitation?token=x').expect(200)).text).to.include('accept-invitation');
    expect((await api().get('/reset-password?token=x').expect(200)).text).to.include('reset-password');
    const elsewhere = appWith({ ROSTER_PUBLIC_URL: 'https://platform.example.com' });
    const s = (await import('supertest')).default;
    await s(elsewhere).get('/accept-invitation').expect(404);
    await s(elsewhere).get('/reset-password').expect(404);
  });
});

describe('User edit with If-Match (a stale console page)', () => {
  it('answers the version as a weak ETag and refuses an edit based on an older one, changing nothing', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const auth = `Bearer ${org.adminToken}`;
    const created = await api().post('/api/v1/users').set('Authorization', auth).send({ email: 'ann@example.com', name: 'Ann' }).expect(201);
    const id = created.body.user.id as string;
    const opened = await api().get(`/api/v1/users/${id}`).set('Authorization', auth).expect(200);
    expect(opened.headers.etag).to.equal(`W/"${opened.body.version}"`);
    // Someone else edits meanwhile.
    const other = await api().patch(`/api/v1/users/${id}`).set('Authorization', auth).set('If-Match', opened.headers.etag as string).send({ name: 'Ann Lee' }).expect(200);
    expect(other.headers.etag).to.equal(`W/"${opened.body.version + 1}"`);
    const stale = await api().patch(`/api/v1/users/${id}`).set('Authorization', auth).set('If-Match', opened.headers.etag as string).send({ name: 'Overwritten' });
    expect(stale.status).to.equal(412);
    expect(stale.headers['content-type']).to.match(/^application\/problem\+json/);
    const now = await api().get(`/api/v1/users/${id}`).set('Authorization', auth).expect(200);
    expect(now.body.name).to.equal('Ann Lee');
  });
});
