/**
 * Sends requests the way an identity provider does: its own Content-Type and Accept headers, the
 * bearer token it was given, and bodies as the raw JSON it writes. Shared by the Okta and Entra ID
 * compatibility suites; each suite cites the provider's documentation beside every request form.
 */
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { api, type TestOrg } from '../support/harness.js';

export interface ProviderClient {
  get(path: string): supertest.Test;
  post(path: string, body: unknown): supertest.Test;
  put(path: string, body: unknown): supertest.Test;
  patch(path: string, body: unknown): supertest.Test;
  delete(path: string): supertest.Test;
}

interface ProviderHeaders {
  contentType: string;
  accept: string;
  userAgent: string;
}

/** Okta sends JSON with `application/json; charset=utf-8` and asks for SCIM JSON back. */
export const OKTA_HEADERS: ProviderHeaders = {
  contentType: 'application/json; charset=utf-8',
  accept: 'application/scim+json',
  userAgent: 'Okta SCIM Client 1.0.0',
};

/** Entra ID sends `application/scim+json`. */
export const ENTRA_HEADERS: ProviderHeaders = {
  contentType: 'application/scim+json',
  accept: 'application/scim+json',
  userAgent: 'Azure Active Directory SCIM Client',
};

export function providerClient(org: TestOrg, headers: ProviderHeaders): ProviderClient {
  const base = '/scim/v2';
  const common = (test: supertest.Test): supertest.Test =>
    test.set('Authorization', `Bearer ${org.scimToken}`).set('Accept', headers.accept).set('User-Agent', headers.userAgent);
  const withBody = (test: supertest.Test, body: unknown): supertest.Test =>
    common(test).set('Content-Type', headers.contentType).send(JSON.stringify(body));
  return {
    get: (path) => common(api().get(base + path)),
    post: (path, body) => withBody(api().post(base + path), body),
    put: (path, body) => withBody(api().put(base + path), body),
    patch: (path, body) => withBody(api().patch(base + path), body),
    delete: (path) => common(api().delete(base + path)),
  };
}

/** `?filter=...` with the expression URL-encoded as the providers send it, plus any other query text. */
export function filterQuery(expression: string, rest = ''): string {
  return `?filter=${encodeURIComponent(expression)}${rest}`;
}

/** The random userName both providers probe with when an administrator clicks "Test Connection". */
export function probeUserName(): string {
  return randomUUID();
}
