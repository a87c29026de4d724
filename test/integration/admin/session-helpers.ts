import { expect } from 'chai';
import type supertest from 'supertest';
import { api, h, userBody, type TestOrg } from '../../support/harness.js';
import type { RequestContext } from '../../../src/domain/context.js';
import type { UserRecord } from '../../../src/store/user.repository.js';
import { hashPassword } from '../../../src/domain/secrets.js';
import { admin } from './helpers.js';

export const PASSWORD = 'correct horse battery';
export const HOUR = 60 * 60 * 1000;
export const MINUTE = 60 * 1000;

/** A token of scope `signin` for the organization (what the platform's login page holds). */
export async function signinToken(org: TestOrg): Promise<string> {
  return (await admin(org).post('/tokens', { name: 'login page', scopes: ['signin'] }).expect(201)).body.token as string;
}

/** Calls of the platform with a `signin` token. */
export function platform(token: string) {
  const auth = `Bearer ${token}`;
  return {
    signIn: (email: string, password: string) => api().post('/api/v1/sessions').set('Authorization', auth).send({ email, password }),
    verify: (session: string) => api().post('/api/v1/sessions/verify').set('Authorization', auth).send({ token: session }),
    changePassword: (email: string, currentPassword: string, newPassword: string) =>
      api().post('/api/v1/sessions/password-change').set('Authorization', auth).send({ email, currentPassword, newPassword }),
    signOut: (session: string) => api().post('/api/v1/sessions/sign-out').set('Authorization', auth).send({ token: session }),
    requestReset: (email: string) => api().post('/api/v1/sessions/password-reset').set('Authorization', auth).send({ email }),
  };
}

/** An active user with a password, created over SCIM; returns its id. */
export async function activeUser(org: TestOrg, email: string, password = PASSWORD, extra: Record<string, unknown> = {}): Promise<string> {
  return (await org.scim.post('/Users', userBody(email, { password, ...extra })).expect(201)).body.id as string;
}

export function ctxOf(org: TestOrg): RequestContext {
  return { orgId: org.id, actor: { type: 'system', id: 'test', name: 'test' }, requestId: 'test', scimBaseUrl: 'https://roster.test/scim/v2' };
}

/** Gives the user a temporary password through the side-API write path (what admin create does). */
export async function setTemporaryPassword(org: TestOrg, userId: string, password: string): Promise<UserRecord> {
  const passwordHash = await hashPassword(password);
  return h().services.users.applyChange(ctxOf(org), userId, () => ({ passwordHash, mustChangePassword: true }));
}

/** Asserts a sign-in refusal: problem details with the status and the machine-readable reason. */
export function expectRefusal(res: supertest.Response, status: number, reason: string): void {
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${res.text}`);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.body).to.include({ status, reason, type: 'about:blank' });
  expect(res.body.detail).to.be.a('string').and.not.equal('');
}

export async function auditActions(org: TestOrg, userId: string): Promise<{ action: string; changes: { path: string; new: unknown }[] }[]> {
  return (await admin(org).get(`/audit?userId=${userId}&limit=200`).expect(200)).body.items;
}
