import { expect } from 'chai';
import { api, h, newOrg, type TestOrg, withToken } from '../../support/harness.js';
import { check, expectNoInternals, failing } from '../../support/contract-coverage.js';

// The side-API routes of tokens, organization settings, invitations, outbox and KPIs, held to
// openapi/openapi.json. Every documented response must be produced by some contract test; the root
// hook in test/support/global-hooks.ts checks that after the whole run.

const TOKENS = '/api/v1/tokens';
const TOKEN = '/api/v1/tokens/{id}';
const ROTATE = '/api/v1/tokens/{id}/rotate';
const ORG = '/api/v1/organization';
const INVITE = '/api/v1/invitations';
const ACCEPT = '/api/v1/invitations/accept';
const INVITATION = '/api/v1/invitations/{userId}';
const RESEND = '/api/v1/invitations/{userId}/resend';
const OUTBOX = '/api/v1/outbox';
const KPIS = '/api/v1/kpis';

const as = (org: TestOrg, token = org.adminToken) => withToken(token);

async function linkToken(org: TestOrg): Promise<string> {
  const res = await as(org).get(OUTBOX).expect(200);
  const link = res.body.items[0].link as string;
  return new URL(link).searchParams.get('token') ?? '';
}

describe('OpenAPI document: side API (tokens, organization, invitations, outbox, KPIs)', () => {
  it('tokens: every documented status', async () => {
    const org = await newOrg();
    const a = as(org);
    check('get', TOKENS, await a.get(TOKENS), 200);
    check('get', TOKENS, await api().get(TOKENS), 401);
    check('get', TOKENS, await as(org, org.scimToken).get(TOKENS), 403);
    const created = check('post', TOKENS, await a.post(TOKENS, { name: 'ci', scopes: ['scim'] }), 201);
    check('post', TOKENS, await a.post(TOKENS, { name: 'ci', scopes: [] }), 400);
    check('post', TOKENS, await api().post(TOKENS).send({ name: 'x', scopes: ['scim'] }), 401);
    check('post', TOKENS, await as(org, org.scimToken).post(TOKENS, { name: 'x', scopes: ['scim'] }), 403);
    const expiring = check('post', TOKENS, await a.post(TOKENS, { name: 'exp', scopes: ['scim'], expiresAt: '2999-01-01T00:00:00Z' }), 201);
    await withToken(expiring.body.token).get('/scim/v2/Users').expect(200);
    const rotatePath = `${TOKENS}/${expiring.body.id}/rotate`;
    check('post', ROTATE, await a.post(rotatePath, { gracePeriodSeconds: 60 }), 200);
    check('post', ROTATE, await a.post(rotatePath, { gracePeriodSeconds: 'soon' }), 400);
    check('post', ROTATE, await api().post(rotatePath).send({}), 401);
    check('post', ROTATE, await as(org, org.scimToken).post(rotatePath, {}), 403);
    check('post', ROTATE, await a.post(`${TOKENS}/${'0'.repeat(24)}/rotate`, {}), 404);
    check('get', TOKENS, await a.get(TOKENS), 200);
    check('delete', TOKEN, await as(org, org.scimToken).delete(`${TOKENS}/${created.body.id}`), 403);
    check('delete', TOKEN, await a.delete(`${TOKENS}/${created.body.id}`), 204);
    check('delete', TOKEN, await a.delete(`${TOKENS}/${created.body.id}`), 404);
    check('delete', TOKEN, await api().delete(`${TOKENS}/${created.body.id}`), 401);
    await failing(h().services.tokens, ['list', 'issue', 'revoke', 'rotate'], async () => {
      expectNoInternals(check('post', ROTATE, await a.post(rotatePath, {}), 500));
      expectNoInternals(check('get', TOKENS, await a.get(TOKENS), 500));
      expectNoInternals(check('post', TOKENS, await a.post(TOKENS, { name: 'x', scopes: ['scim'] }), 500));
      expectNoInternals(check('delete', TOKEN, await a.delete(`${TOKENS}/abc`), 500));
    });
  });

  it('organization settings: every documented status', async () => {
    const org = await newOrg();
    const a = as(org);
    check('get', ORG, await a.get(ORG), 200);
    check('get', ORG, await api().get(ORG), 401);
    check('get', ORG, await as(org, org.scimToken).get(ORG), 403);
    check('patch', ORG, await a.patch(ORG, { seatLimit: 10, domains: ['example.com'] }), 200);
    check('patch', ORG, await a.patch(ORG, { seatLimit: 'ten' }), 400);
    check('patch', ORG, await api().patch(ORG).send({ seatLimit: 1 }), 401);
    check('patch', ORG, await as(org, org.scimToken).patch(ORG, { seatLimit: 1 }), 403);
    await failing(h().services.settings, ['get', 'update'], async () => {
      expectNoInternals(check('get', ORG, await a.get(ORG), 500));
      expectNoInternals(check('patch', ORG, await a.patch(ORG, { seatLimit: 1 }), 500));
    });
  });

  it('invitations and accept: every documented status', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 2 });
    const a = as(org);
    const invited = check('post', INVITE, await a.post(INVITE, { email: 'ada@example.com', name: 'Ada' }), 201);
    const id = invited.body.userId as string;
    check('post', INVITE, await a.post(INVITE, { email: 'ada@other.org' }), 400);
    check('post', INVITE, await a.post(INVITE, { email: 'ADA@example.com' }), 409);
    check('post', INVITE, await api().post(INVITE).send({ email: 'x@example.com' }), 401);
    check('post', INVITE, await as(org, org.scimToken).post(INVITE, { email: 'x@example.com' }), 403);

    check('get', INVITATION, await a.get(`${INVITE}/${id}`), 200);
    check('get', INVITATION, await a.get(`${INVITE}/nope`), 404);
    check('get', INVITATION, await api().get(`${INVITE}/${id}`), 401);
    check('get', INVITATION, await as(org, org.scimToken).get(`${INVITE}/${id}`), 403);

    const first = await linkToken(org);
    check('post', RESEND, await a.post(`${INVITE}/${id}/resend`), 200);
    check('post', RESEND, await a.post(`${INVITE}/nope/resend`), 404);
    check('post', RESEND, await api().post(`${INVITE}/${id}/resend`), 401);
    check('post', RESEND, await as(org, org.scimToken).post(`${INVITE}/${id}/resend`), 403);

    check('post', ACCEPT, await api().post(ACCEPT).send({ token: 'unknown', password: 'long enough' }), 400);
    check('post', ACCEPT, await api().post(ACCEPT).send({ token: first, password: 'long enough' }), 410);
    check('post', ACCEPT, await api().post(ACCEPT).send({ token: await linkToken(org), password: 'long enough' }), 200);
    check('post', RESEND, await a.post(`${INVITE}/${id}/resend`), 409);

    // Cancel: 409 for the accepted user, 204 for a pending one, then 404.
    check('delete', INVITATION, await a.delete(`${INVITE}/${id}`), 409);
    const second = (await a.post(INVITE, { email: 'grace@example.com' }).expect(201)).body.userId as string;
    check('post', INVITE, await a.post(INVITE, { email: 'hopper@example.com' }), 403);
    check('delete', INVITATION, await api().delete(`${INVITE}/${second}`), 401);
    check('delete', INVITATION, await as(org, org.scimToken).delete(`${INVITE}/${second}`), 403);
    check('delete', INVITATION, await a.delete(`${INVITE}/${second}`), 204);
    check('delete', INVITATION, await a.delete(`${INVITE}/nope`), 404);

    await failing(h().services.invitations, ['invite', 'get', 'resend', 'cancel', 'accept'], async () => {
      expectNoInternals(check('post', INVITE, await a.post(INVITE, { email: 'x@example.com' }), 500));
      expectNoInternals(check('get', INVITATION, await a.get(`${INVITE}/${id}`), 500));
      expectNoInternals(check('post', RESEND, await a.post(`${INVITE}/${id}/resend`), 500));
      expectNoInternals(check('delete', INVITATION, await a.delete(`${INVITE}/${id}`), 500));
      expectNoInternals(check('post', ACCEPT, await api().post(ACCEPT).send({ token: 't', password: 'long enough' }), 500));
    });
  });

  it('outbox and KPIs: every documented status', async () => {
    const org = await newOrg();
    const a = as(org);
    await a.post(INVITE, { email: 'ada@example.com' }).expect(201);
    const box = check('get', OUTBOX, await a.get(`${OUTBOX}?limit=10`), 200);
    expect(box.body.total).to.equal(1);
    check('get', OUTBOX, await a.get(`${OUTBOX}?limit=0`), 400);
    check('get', OUTBOX, await api().get(OUTBOX), 401);
    check('get', OUTBOX, await as(org, org.scimToken).get(OUTBOX), 403);
    const kpis = check('get', KPIS, await a.get(KPIS), 200);
    expect(kpis.body).to.deep.equal({ invited: 1, completed: 0, pending: 1, completionRate: 0 });
    check('get', KPIS, await api().get(KPIS), 401);
    check('get', KPIS, await as(org, org.scimToken).get(KPIS), 403);
    await failing(h().services.outbox, ['list'], async () => {
      expectNoInternals(check('get', OUTBOX, await a.get(OUTBOX), 500));
    });
    await failing(h().services.invitations.repo, ['countByState'], async () => {
      expectNoInternals(check('get', KPIS, await a.get(KPIS), 500));
    });
  });
});
