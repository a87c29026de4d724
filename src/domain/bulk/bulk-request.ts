/**
 * The /Bulk messages (RFC 7644 3.7): reading a BulkRequest and the "bulkId:" references in it.
 * Pure: no store, no express.
 */
import { ScimError, badRequest } from '../../scim/errors.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * One operation as the client sent it. Its shape is checked when it runs, not here: a malformed
 * operation fails on its own (RFC 7644 3.7: the provider performs as many changes as possible).
 */
export interface BulkOperation {
  /** 0-based position in the request's Operations. */
  index: number;
  /** Upper-cased; undefined when absent or not a string. */
  method: string | undefined;
  bulkId: string | undefined;
  /** RFC 7644 3.7: the resource's version, sent as If-Match. */
  version: string | undefined;
  path: string | undefined;
  data: unknown;
}

export interface BulkRequest {
  /** RFC 7644 3.7: how many errors are accepted before the run stops; undefined: never stop. */
  failOnErrors: number | undefined;
  operations: BulkOperation[];
}

export function isBulkMethod(method: string | undefined): method is BulkMethod {
  return METHODS.includes(method as BulkMethod);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** RFC 7644 3.7.4: more operations than maxOperations is 413, with the limit in the detail. */
export function tooManyOperations(count: number, maxOperations: number): ScimError {
  return new ScimError(413, `The number of operations in the bulk request (${count}) exceeds the maxOperations (${maxOperations}).`);
}

/** RFC 7644 3.7.4: a body over maxPayloadSize is 413, with the limit in the detail. */
export function payloadTooLarge(maxPayloadSize: number): ScimError {
  return new ScimError(413, `The size of the bulk operation exceeds the maxPayloadSize (${maxPayloadSize}).`);
}

/**
 * Reads a BulkRequest. What makes the whole request unusable is an error here (400, or 413 past
 * maxOperations, checked before anything runs); what concerns one operation is left to that operation.
 */
export function parseBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the BulkRequest body must be a JSON object');
  if (body.schemas !== undefined && (!Array.isArray(body.schemas) || !body.schemas.includes(SCHEMA_URN.bulkRequest))) {
    throw badRequest('invalidSyntax', `"schemas" must contain ${SCHEMA_URN.bulkRequest}`);
  }
  // RFC 7644 3.7 writes "Operations"; some clients send "operations".
  const raw = body.Operations ?? body.operations;
  if (!Array.isArray(raw)) throw badRequest('invalidSyntax', 'attribute "Operations" is required and must be an array');
  if (raw.length > maxOperations) throw tooManyOperations(raw.length, maxOperations);

  let failOnErrors: number | undefined;
  if (body.failOnErrors !== undefined && body.failOnErrors !== null) {
    if (typeof body.failOnErrors !== 'number' || !Number.isInteger(body.failOnErrors) || body.failOnErrors < 1) {
      throw badRequest('invalidValue', 'attribute "failOnErrors" must be an integer of at least 1');
    }
    failOnErrors = body.failOnErrors;
  }

  const seen = new Map<string, number>();
  const operations = raw.map((entry: unknown, index): BulkOperation => {
    const op = isObject(entry) ? entry : {};
    const bulkId = optionalString(op.bulkId);
    if (bulkId !== undefined) {
      // RFC 7644 3.7: a bulkId identifies one new resource; two would make every reference ambiguous.
      const first = seen.get(bulkId);
      if (first !== undefined) {
        throw badRequest('invalidValue', `operation ${index}: bulkId "${bulkId}" is already used by operation ${first}`);
      }
      seen.set(bulkId, index);
    }
    return {
      index,
      method: optionalString(op.method)?.toUpperCase(),
      bulkId,
      version: optionalString(op.version),
      path: optionalString(op.path),
      data: op.data,
    };
  });
  return { failOnErrors, operations };
}

/**
 * "bulkId:<id>" in a string: a whole value (`"value": "bulkId:qwerty"`), a path segment
 * (`/Users/bulkId:qwerty`) or inside a PATCH filter (`members[value eq "bulkId:qwerty"]`).
 */
const REFERENCE = /bulkId:([^\s"'/\\\]\[,)(]+)/g;

function forEachString(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => forEachString(v, visit));
  else if (isObject(value)) Object.values(value).forEach((v) => forEachString(v, visit));
}

/** The bulkIds an operation's path and data refer to, in order of appearance. */
export function referencesOf(op: Pick<BulkOperation, 'path' | 'data'>): string[] {
  const refs = new Set<string>();
  const collect = (s: string) => {
    for (const m of s.matchAll(REFERENCE)) refs.add(m[1]!);
  };
  if (op.path !== undefined) collect(op.path);
  forEachString(op.data, collect);
  return [...refs];
}

/** Replaces every "bulkId:<id>" in the strings of `value` with the id it was resolved to. Keys are left alone. */
export function resolveReferences<T>(value: T, ids: ReadonlyMap<string, string>): T {
  const replace = (s: string): string => s.replace(REFERENCE, (whole, bulkId: string) => ids.get(bulkId) ?? whole);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return replace(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
