import type supertest from 'supertest';
import { expectMatchesContract } from './openapi-contract.js';

/**
 * Every (METHOD path status) a contract test held to the document, shared by the contract test
 * files so that contract.test.ts (which sorts after admin-contract.test.ts) checks them all.
 */
export const exercised = new Set<string>();

export function check(method: string, pathTemplate: string, res: supertest.Response, status: number): supertest.Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  expectMatchesContract(method, pathTemplate, res);
  exercised.add(`${method.toUpperCase()} ${pathTemplate} ${status}`);
  return res;
}
