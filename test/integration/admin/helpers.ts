import { api, type TestOrg } from '../../support/harness.js';

export { expectProblem } from '../lifecycle/helpers.js';

/** Side-API calls with the organization's admin token (or another token). */
export function admin(org: TestOrg, token = org.adminToken) {
  const auth = `Bearer ${token}`;
  return {
    get: (path: string) => api().get(`/api/v1${path}`).set('Authorization', auth),
    post: (path: string, body?: unknown) => api().post(`/api/v1${path}`).set('Authorization', auth).send((body ?? {}) as object),
    patch: (path: string, body?: unknown) => api().patch(`/api/v1${path}`).set('Authorization', auth).send((body ?? {}) as object),
    delete: (path: string) => api().delete(`/api/v1${path}`).set('Authorization', auth),
  };
}

/** The token in an accept link (`...?token=...`). */
export function tokenFromLink(text: string): string {
  const match = /accept-invitation\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no accept link in: ${text}`);
  return decodeURIComponent(match[1]);
}

/** The public accept route (no token). */
export function accept(token: string, password = 'correct horse battery') {
  return api().post('/api/v1/invitations/accept').send({ token, password });
}
