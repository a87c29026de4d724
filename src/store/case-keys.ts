/**
 * Lower-cased shadow copies of a user's case-insensitive string attributes (docs/architecture.md
 * "Case rules"), under one plain field `ci`, written by the repository on every insert and replace.
 * They let every filter operator (eq, sw, co, ew and the gt/ge/lt/le orderings of RFC 7644 3.4.2.2)
 * and sorting run in the database on a caseExact=false attribute, without collations (FerretDB has
 * none). Multi-valued attributes get arrays parallel to the stored ones, so that position i of
 * `ci.phoneNumbers` shadows position i of `phoneNumbers` and value filters stay element-wise.
 */
import type { UserRecord } from './user.repository.js';

/** Bump when the shape below changes: startup backfills users whose `ciVersion` differs. */
export const CASE_KEYS_VERSION = 1;

export const CI_SINGLE = ['nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'profileUrl'] as const;
export const CI_NAME = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
export const CI_ENTERPRISE = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;
export const CI_MULTI = ['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles'] as const;
export const CI_MULTI_SUBS = ['value', 'type', 'display'] as const;
export const CI_ADDRESS = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'] as const;

type Json = Record<string, unknown>;

function lower(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

function pick(source: Json | undefined, keys: readonly string[]): Json | undefined {
  if (!source) return undefined;
  const out: Json = {};
  for (const key of keys) {
    const v = lower(source[key]);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The `ci` document for a user; extension values are shadowed by the caller (custom-extensions). */
export function caseKeysOf(user: UserRecord): Json {
  const ci: Json = pick(user as unknown as Json, CI_SINGLE) ?? {};
  const name = pick(user.name, CI_NAME);
  if (name) ci.name = name;
  const enterprise = pick(user.enterprise as Json | undefined, CI_ENTERPRISE) ?? {};
  const managerName = lower(user.enterprise?.manager?.displayName);
  if (managerName !== undefined) enterprise.manager = { displayName: managerName };
  if (Object.keys(enterprise).length) ci.enterprise = enterprise;
  for (const key of CI_MULTI) {
    const values = user[key] as Json[] | undefined;
    // Always one (possibly empty) object per stored element: positions must line up.
    if (values?.length) ci[key] = values.map((v) => pick(v, CI_MULTI_SUBS) ?? {});
  }
  if (user.addresses?.length) ci.addresses = user.addresses.map((a) => pick(a as Json, CI_ADDRESS) ?? {});
  return ci;
}

/** The record as stored: with its shadow keys. */
export function withCaseKeys<T extends UserRecord>(user: T, extra: Json = {}): T {
  return { ...user, ci: { ...caseKeysOf(user), ...extra }, ciVersion: CASE_KEYS_VERSION };
}
