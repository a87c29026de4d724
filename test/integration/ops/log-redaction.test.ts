import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { createLogger } from '../../../src/logger.js';
import { createApp, createServices } from '../../../src/app.js';
import { h, newOrg, testConfig, userBody, OPERATOR_TOKEN } from '../../support/harness.js';
import { withStub } from '../../support/contract-coverage.js';

/** A logger at level info whose lines are kept in memory. */
function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('Logs: no personal data or secrets, and every request line names request, organization and token', () => {
  it('a run of SCIM, side-API, sign-in, invitation and reset requests logs none of their personal data or secrets', async () => {
    const { logger, lines } = capturingLogger();
    const config = testConfig({ LOG_LEVEL: 'info' });
    const deps = { config, store: h().store, logger, clock: h().clock };
    const services = createServices(deps);
    const app = createApp(deps, services);
    const org = await newOrg();
    const tag = randomBytes(4).toString('hex');
    const email = `ada.lovelace.${tag}@example.com`;
    const given = `Augusta${tag}`;
    const family = `Byron${tag}`;
    const password = `horse-battery-${tag}`;
    const newPassword = `staple-correct-${tag}`;
    const scim = (t: supertest.Test, token = org.scimToken) => t.set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/scim+json');
    const adminCall = (t: supertest.Test) => t.set('Authorization', `Bearer ${org.adminToken}`);
    const a = supertest(app);

    const created = await scim(a.post('/scim/v2/Users')).send(
      JSON.stringify(userBody(email, { name: { givenName: given, familyName: family }, displayName: `${given} ${family}`, password })),
    );
    expect(created.status).to.equal(201);
    const userId = created.body.id as string;
    await scim(a.get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&count=5`)).expect(200);
    await scim(a.get(`/scim/v2/Users?filter=${encodeURIComponent(`displayName sw "${given}`)}`)).expect(400);
    await scim(a.post('/scim/v2/Users')).send(JSON.stringify(userBody(email))).expect(409);
    await scim(a.post('/scim/v2/Users/.search')).send(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `emails.value eq "${email}"` })).expect(200);
    await adminCall(a.get(`/api/v1/users?search=${encodeURIComponent(family)}`)).expect(200);

    // Sign-in (wrong, then right), a session check, and a self-service reset link through the outbox.
    const signin = (await adminCall(a.post('/api/v1/tokens')).send({ name: 'login', scopes: ['signin'] }).expect(201)).body.token as string;
    const platform = (t: supertest.Test) => t.set('Authorization', `Bearer ${signin}`);
    await platform(a.post('/api/v1/sessions')).send({ email, password: `${password}-wrong` }).expect(401);
    const session = (await platform(a.post('/api/v1/sessions')).send({ email, password }).expect(201)).body.token as string;
    await platform(a.post('/api/v1/sessions/verify')).send({ token: session }).expect(200);
    await adminCall(a.post(`/api/v1/users/${userId}/password-reset`)).expect(202);
    await services.passwordResets.settled();
    const outbox = (await adminCall(a.get('/api/v1/outbox')).expect(200)).body.items as { link: string }[];
    const resetToken = new URL(outbox.find((m) => m.link.includes('reset-password'))!.link).searchParams.get('token')!;
    await a.post('/api/v1/password-resets/complete').send({ token: resetToken, password: newPassword }).expect(200);

    // An invitation and its acceptance through the public route.
    const inviteeEmail = `grace.hopper.${tag}@example.com`;
    await adminCall(a.post('/api/v1/invitations')).send({ email: inviteeEmail }).expect(201);
    const links = (await adminCall(a.get('/api/v1/outbox')).expect(200)).body.items as { link: string }[];
    const inviteToken = new URL(links.find((m) => m.link.includes('accept-invitation'))!.link).searchParams.get('token')!;
    await a.post('/api/v1/invitations/accept').send({ token: inviteToken, password }).expect(200);

    // Bad tokens, and an unexpected failure whose message quotes an address (as a driver's duplicate-key error does).
    await a.get('/scim/v2/Users').set('Authorization', `Bearer rst.${'0'.repeat(24)}.${tag}guess`).expect(401);
    await withStub(services.users, 'list' as never, (async () => {
      throw new Error(`E11000 duplicate key error dup key: { userNameKey: "${email}" }`);
    }) as never, async () => {
      await scim(a.get('/scim/v2/Users')).expect(500);
    });
    await a.get('/api/v1/organizations').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200);

    const log = lines.join('\n');
    expect(lines.length).to.be.greaterThan(17);
    const secrets = [
      email, inviteeEmail, `ada.lovelace.${tag}`, given, family, password, newPassword,
      org.scimToken.split('.')[2]!, org.adminToken.split('.')[2]!, signin.split('.')[2]!, session.split('.')[2]!,
      resetToken, inviteToken, OPERATOR_TOKEN, `${tag}guess`,
    ];
    for (const secret of secrets) {
      expect(log.toLowerCase(), `the log holds "${secret}"`).to.not.include(secret.toLowerCase());
    }

    const requestLines = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.req && l.res);
    expect(requestLines.length).to.be.greaterThan(15);
    for (const line of requestLines) {
      expect(line.req.id, JSON.stringify(line)).to.be.a('string').and.not.equal('');
      expect(line, JSON.stringify(line)).to.have.property('orgId');
      expect(line, JSON.stringify(line)).to.have.property('tokenId');
    }
    const lookup = requestLines.find((l) => String(l.req.url).startsWith('/scim/v2/Users?filter='))!;
    expect(lookup.req.url).to.equal('/scim/v2/Users?filter=[redacted]&count=5');
    expect(lookup.orgId).to.equal(org.id);
    expect(lookup.tokenId).to.equal(org.scimToken.split('.')[1]);
    // Expected errors name their code and carry no stack trace; the unexpected one does.
    const conflict = requestLines.find((l) => l.res.statusCode === 409)!;
    expect(conflict.errorCode).to.equal('uniqueness');
    const refused = requestLines.find((l) => l.res.statusCode === 401 && String(l.req.url) === '/api/v1/sessions')!;
    expect(refused.errorCode).to.equal('invalid_credentials');
    for (const line of requestLines.filter((l) => l.res.statusCode < 500)) expect(JSON.stringify(line)).to.not.include('stack');
    const failed = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'request failed')!;
    expect(failed.err.stack).to.be.a('string');
    expect(failed.orgId).to.equal(org.id);
  });
});
