import { createHash } from 'node:crypto';
import { badRequest } from './errors.js';

/**
 * RFC 9865 cursor pagination by keyset: a cursor holds the sort key of the
 * page's edge item, so any page costs the same as the first one (no skip)
 * and a walk sees every resource once even while others are added.
 *
 * Cursors are opaque to clients but not secret: the organization scope is
 * always ANDed into the query, so a forged cursor can only move within the
 * caller's own data. A cursor is bound to the filter and sort it was made
 * for (RFC 9865 2.1: a different query with the same cursor is invalidCursor).
 */

type KeyValue = string | number | boolean | null | { $date: string };

interface CursorPayload {
  /** format version */
  v: 1;
  /** 'n' = the page after the item; 'p' = the page before it */
  d: 'n' | 'p';
  /** the sort key values of the edge item, in sort order (last is _id) */
  k: KeyValue[];
  /** hash of the query the cursor belongs to */
  q: string;
  /** expiry, ms since the epoch */
  e: number;
}

export interface DecodedCursor {
  direction: 'next' | 'previous';
  key: unknown[];
}

export function queryFingerprint(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function encodeValue(value: unknown): KeyValue {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function decodeValue(value: KeyValue): unknown {
  if (value !== null && typeof value === 'object') return new Date(value.$date);
  return value;
}

export function encodeCursor(direction: 'next' | 'previous', key: unknown[], fingerprint: string, expiresAt: number): string {
  const payload: CursorPayload = { v: 1, d: direction === 'next' ? 'n' : 'p', k: key.map(encodeValue), q: fingerprint, e: expiresAt };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function isKeyValue(v: unknown): v is KeyValue {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 1) {
    const date = (v as { $date?: unknown }).$date;
    return typeof date === 'string' && !Number.isNaN(Date.parse(date));
  }
  return false;
}

export function decodeCursor(cursor: string, fingerprint: string, keyLength: number, now: number): DecodedCursor {
  let payload: CursorPayload;
  try {
    if (cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape');
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
  } catch {
    throw badRequest('invalidCursor', 'cursor: not a cursor this server issued; omit it (cursor=) to start from the first page');
  }
  const valid =
    payload?.v === 1 &&
    (payload.d === 'n' || payload.d === 'p') &&
    Array.isArray(payload.k) &&
    payload.k.length === keyLength &&
    payload.k.every(isKeyValue) &&
    typeof payload.q === 'string' &&
    typeof payload.e === 'number';
  if (!valid) throw badRequest('invalidCursor', 'cursor: not a cursor this server issued; omit it (cursor=) to start from the first page');
  if (payload.q !== fingerprint) {
    throw badRequest('invalidCursor', 'cursor: it belongs to a different filter or sort order');
  }
  if (payload.e < now) {
    throw badRequest('expiredCursor', 'cursor: it has expired; start again from the first page (cursor=)');
  }
  return { direction: payload.d === 'n' ? 'next' : 'previous', key: payload.k.map(decodeValue) };
}

/**
 * The keyset condition "after (or before) this key" for a sort spec, with
 * MongoDB's ordering of missing values (null sorts before any string/date).
 */
export function keysetCondition(sort: Record<string, 1 | -1>, key: unknown[], direction: 'next' | 'previous'): Record<string, unknown> {
  const fields = Object.entries(sort);
  const branches: Record<string, unknown>[] = [];
  for (let i = 0; i < fields.length; i++) {
    const [field, order] = fields[i] as [string, 1 | -1];
    const value = key[i] ?? null;
    // Moving forward on an ascending field (or backward on a descending one) means "greater".
    const greater = (order === 1) === (direction === 'next');
    const beyond = beyondCondition(field, value, greater);
    if (!beyond) continue;
    const equalBefore = fields.slice(0, i).map(([f], j) => ({ [f]: key[j] ?? null }));
    branches.push(equalBefore.length ? { $and: [...equalBefore, beyond] } : beyond);
  }
  return branches.length ? { $or: branches } : { _id: { $exists: false } };
}

function beyondCondition(field: string, value: unknown, greater: boolean): Record<string, unknown> | undefined {
  if (value === null) {
    // Nothing sorts below null/missing; everything present sorts above it.
    return greater ? { [field]: { $ne: null } } : undefined;
  }
  if (greater) return { [field]: { $gt: value } };
  return { $or: [{ [field]: { $lt: value } }, { [field]: null }] };
}

export function sortKeyOf(doc: Record<string, unknown>, sort: Record<string, 1 | -1>): unknown[] {
  return Object.keys(sort).map((path) => {
    let value: unknown = doc;
    for (const part of path.split('.')) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value ?? null;
  });
}

export function reverseSort(sort: Record<string, 1 | -1>): Record<string, 1 | -1> {
  return Object.fromEntries(Object.entries(sort).map(([k, v]) => [k, v === 1 ? -1 : 1])) as Record<string, 1 | -1>;
}
