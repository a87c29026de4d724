import type supertest from 'supertest';
import { expectMatchesContract, HTTP_METHODS, openapiDocument } from './openapi-contract.js';

/**
 * Every (METHOD path status) a contract test held to the document, from every contract test file;
 * the root hook in global-hooks.ts checks after the whole run that none is missing.
 */
export const exercised = new Set<string>();

export function check(method: string, pathTemplate: string, res: supertest.Response, status: number): supertest.Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  expectMatchesContract(method, pathTemplate, res);
  exercised.add(`${method.toUpperCase()} ${pathTemplate} ${status}`);
  return res;
}

/** A service failure that must reach the client as a 500 without its message. */
export const boom = async (): Promise<never> => {
  throw new Error('simulated failure: internals must not leak');
};

export function expectNoInternals(res: supertest.Response): void {
  if (res.text.includes('simulated failure')) throw new Error(`a 500 leaked internals: ${res.text}`);
}

/** Replaces members of a shared object (a service of the harness app) while `body` runs. */
export async function withStubs(target: object, stubs: Record<string, unknown>, body: () => Promise<void>): Promise<void> {
  const t = target as Record<string, unknown>;
  const saved = Object.keys(stubs).map((key) => [key, Object.prototype.hasOwnProperty.call(t, key), t[key]] as const);
  Object.assign(t, stubs);
  try {
    await body();
  } finally {
    for (const [key, own, original] of saved) {
      if (own) t[key] = original;
      else delete t[key];
    }
  }
}

export function withStub<T extends object, K extends keyof T>(target: T, key: K, stub: T[K], body: () => Promise<void>): Promise<void> {
  return withStubs(target, { [key]: stub }, body);
}

/** Every named method fails (boom) while `body` runs. */
export function failing(target: object, names: string[], body: () => Promise<void>): Promise<void> {
  return withStubs(target, Object.fromEntries(names.map((name) => [name, boom])), body);
}

/** The documented responses (METHOD path status) that no test produced. */
export function missingDocumentedResponses(): string[] {
  const listed: string[] = [];
  for (const [path, item] of Object.entries(openapiDocument().paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as { responses?: Record<string, unknown> } | undefined;
      for (const status of Object.keys(op?.responses ?? {})) listed.push(`${method.toUpperCase()} ${path} ${status}`);
    }
  }
  return listed.filter((r) => !exercised.has(r));
}
