import type { AuditChange } from '../../store/audit.repository.js';
import type { UserRecord } from '../../store/user.repository.js';
import { userToScim } from '../users/user.mapper.js';

export const REDACTED = '[redacted]';

/** Parts of the SCIM representation that every write changes or that never change: not news. */
const IGNORED = new Set(['meta', 'id', 'schemas']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * SCIM attribute paths of a resource's leaves: `name.givenName`, and for an
 * extension `urn:...:User:department` (RFC 7644 3.10). Multi-valued
 * attributes are one leaf each: their values have no stable identity to diff by.
 */
function flatten(value: Json, prefix: string, out: Map<string, unknown>): void {
  for (const [key, v] of Object.entries(value)) {
    if (!prefix && IGNORED.has(key)) continue;
    if (key === '$ref') continue; // derived from value and the base URL
    const path = !prefix ? key : `${prefix}.${key}`;
    if (!prefix && key.startsWith('urn:') && isObject(v)) {
      for (const [attr, inner] of Object.entries(v)) {
        if (isObject(inner)) flatten(inner, `${key}:${attr}`, out);
        else out.set(`${key}:${attr}`, inner);
      }
    } else if (isObject(v)) flatten(v, path, out);
    else out.set(path, v);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What changed between two versions of a user (either may be absent: created,
 * purged), as attribute paths of the SCIM representation with old and new
 * values (null when absent). The password is never in the representation; a
 * new password hash shows as `password` with both values redacted.
 */
export function diffUsers(before: UserRecord | undefined, after: UserRecord | undefined, scimBaseUrl = ''): AuditChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  if (before) flatten(userToScim(before, scimBaseUrl), '', a);
  if (after) flatten(userToScim(after, scimBaseUrl), '', b);
  const changes: AuditChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const old = a.get(path);
    const next = b.get(path);
    if (!same(old, next)) changes.push({ path, old: old ?? null, new: next ?? null });
  }
  if (before?.passwordHash !== after?.passwordHash && (before?.passwordHash || after?.passwordHash)) {
    changes.push({
      path: 'password',
      old: before?.passwordHash ? REDACTED : null,
      new: after?.passwordHash ? REDACTED : null,
    });
  }
  // Not a SCIM attribute, but an administrator's decision worth the trail.
  if (Boolean(before?.mustChangePassword) !== Boolean(after?.mustChangePassword)) {
    changes.push({ path: 'mustChangePassword', old: before ? Boolean(before.mustChangePassword) : null, new: after ? Boolean(after.mustChangePassword) : null });
  }
  return changes;
}
