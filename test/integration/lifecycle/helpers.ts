import { expect } from 'chai';
import type supertest from 'supertest';
import { api, PATCH_OP, type TestOrg } from '../../support/harness.js';

export const LIFECYCLE = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';

/** Side-API calls with the organization's admin token. */
export function admin(org: TestOrg) {
  const auth = `Bearer ${org.adminToken}`;
  return {
    get: (path: string) => api().get(`/api/v1${path}`).set('Authorization', auth),
    post: (path: string, body?: unknown) => api().post(`/api/v1${path}`).set('Authorization', auth).send((body ?? {}) as object),
    delete: (path: string) => api().delete(`/api/v1${path}`).set('Authorization', auth),
  };
}

/** Asserts RFC 9457 problem details with the status and, when given, the scimType carried in `type`. */
export function expectProblem(res: supertest.Response, status: number, scimType?: string): void {
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.body.status).to.equal(status);
  expect(res.body.type).to.equal(scimType ? `urn:roster:problem:${scimType}` : 'about:blank');
  expect(res.body.detail).to.be.a('string').and.not.equal('');
}

export function activeOp(active: boolean) {
  return { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] };
}

/** The id part of an `rst.<id>.<secret>` token. */
export function tokenId(token: string): string {
  return token.split('.')[1] ?? '';
}
