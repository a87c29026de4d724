import { badRequest } from '../../scim/errors.js';
import { MAX_VALUE_PATH_ELEMENTS } from '../../scim/filter.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import { etagOf } from '../../scim/etag.js';
import { currentExtensions, extensionCaseKeys, extensionToScim, parseExtensionObject, type ExtensionDef } from '../../scim/extensions.js';
import type { AddressValue, MultiValue, UserRecord } from '../../store/user.repository.js';

/**
 * SCIM User (wire JSON) ⇄ stored user. Reading is tolerant where identity
 * providers are sloppy (nulls, string booleans, unknown schema URNs, letter
 * case of attribute names) and strict where data would be corrupted (wrong
 * types are invalidValue naming the attribute).
 */

/** What a SCIM request says of a user: the stored record's SCIM attributes, as parsed from the wire. */
export type UserInput = Pick<
  UserRecord,
  | 'userName'
  | 'externalId'
  | 'name'
  | 'displayName'
  | 'nickName'
  | 'profileUrl'
  | 'title'
  | 'userType'
  | 'preferredLanguage'
  | 'locale'
  | 'timezone'
  | 'phoneNumbers'
  | 'ims'
  | 'photos'
  | 'addresses'
  | 'entitlements'
  | 'roles'
  | 'x509Certificates'
  | 'ext'
> & {
  /** undefined when the request did not send it (Okta's PUT may omit it: keep the state). */
  active?: boolean;
  emails?: { value: string; type?: string; primary?: boolean; display?: string }[];
  enterprise?: NonNullable<UserRecord['enterprise']>;
  password?: string;
};

const SIMPLE_STRINGS = [
  'externalId',
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
] as const;
const NAME_PARTS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const MULTI_SIMPLE = ['phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates'] as const;
const ADDRESS_PARTS = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'] as const;
const ENTERPRISE_STRINGS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

const CORE_KEYS = [
  'userName',
  ...SIMPLE_STRINGS,
  'name',
  'active',
  'emails',
  'addresses',
  ...MULTI_SIMPLE,
  'password',
  'id',
  'meta',
  'groups',
  'schemas',
];
const CORE_CANONICAL = new Map(CORE_KEYS.map((k) => [k.toLowerCase(), k]));

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Re-keys an object by canonical attribute names (RFC 7643 2.1: attribute names are case-insensitive). */
function canonicalKeys(obj: Json, canonical: Map<string, string>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(obj)) {
    out[canonical.get(key.toLowerCase()) ?? key] = value;
  }
  return out;
}

function lowerMap(keys: readonly string[]): Map<string, string> {
  return new Map(keys.map((k) => [k.toLowerCase(), k]));
}

function optString(value: unknown, path: string): string | undefined {
  // Entra ID sends JSON null (and "") for attributes it clears.
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest('invalidValue', `attribute "${path}" must be a string`);
}

/** Entra ID sends booleans as strings ("True", "False"). */
export function optBoolean(value: unknown, path: string): boolean | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  throw badRequest('invalidValue', `attribute "${path}" must be a boolean`);
}

/**
 * Value-path filters are matched element by element (src/scim/filter.ts), so a
 * multi-valued attribute holds at most this many values: more could not be found.
 */
export const MAX_MULTI_VALUES = MAX_VALUE_PATH_ELEMENTS;

function optArray(value: unknown, path: string): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > MAX_MULTI_VALUES) {
      throw badRequest('invalidValue', `attribute "${path}" has ${value.length} values; at most ${MAX_MULTI_VALUES} are allowed`);
    }
    return value;
  }
  // A single complex value where an array is expected: accept it as a one-element array.
  if (isObject(value)) return [value];
  throw badRequest('invalidValue', `attribute "${path}" must be an array`);
}

const MV_KEYS = lowerMap(['value', 'display', 'type', 'primary', '$ref']);

function multiValues(value: unknown, path: string): MultiValue[] | undefined {
  const arr = optArray(value, path);
  if (!arr) return undefined;
  const out: MultiValue[] = [];
  arr.forEach((raw, i) => {
    if (raw === null) return;
    if (!isObject(raw)) throw badRequest('invalidValue', `attribute "${path}[${i}]" must be an object`);
    const item = canonicalKeys(raw, MV_KEYS);
    const v = optString(item.value, `${path}[${i}].value`);
    if (v === undefined) return;
    const mv: MultiValue = { value: v };
    const display = optString(item.display, `${path}[${i}].display`);
    const type = optString(item.type, `${path}[${i}].type`);
    const primary = optBoolean(item.primary, `${path}[${i}].primary`);
    if (display !== undefined) mv.display = display;
    if (type !== undefined) mv.type = type;
    // RFC 7644 3.5.1: what the client wrote reads back, so `primary: false` is kept too.
    if (primary !== undefined) mv.primary = primary;
    out.push(mv);
  });
  return onePrimary(out, path);
}

/** RFC 7643 2.4: the primary attribute value "true" MUST appear no more than once. */
function onePrimary<T extends { primary?: boolean }>(values: T[], path: string): T[] | undefined {
  if (values.filter((v) => v.primary).length > 1) {
    throw badRequest('invalidValue', `attribute "${path}" has more than one primary value`);
  }
  return values.length ? values : undefined;
}

function addresses(value: unknown): AddressValue[] | undefined {
  const arr = optArray(value, 'addresses');
  if (!arr) return undefined;
  const keys = lowerMap([...ADDRESS_PARTS, 'primary']);
  const out: AddressValue[] = [];
  arr.forEach((raw, i) => {
    if (raw === null) return;
    if (!isObject(raw)) throw badRequest('invalidValue', `attribute "addresses[${i}]" must be an object`);
    const item = canonicalKeys(raw, keys);
    const address: AddressValue = {};
    for (const part of ADDRESS_PARTS) {
      const v = optString(item[part], `addresses[${i}].${part}`);
      if (v !== undefined) address[part] = v;
    }
    const primary = optBoolean(item.primary, `addresses[${i}].primary`);
    if (primary !== undefined) address.primary = primary;
    if (Object.keys(address).some((k) => k !== 'primary')) out.push(address);
  });
  return onePrimary(out, 'addresses');
}

function enterpriseFrom(value: unknown): UserInput['enterprise'] {
  if (value === null || value === undefined) return undefined;
  if (!isObject(value)) throw badRequest('invalidValue', `attribute "${SCHEMA_URN.enterpriseUser}" must be an object`);
  const ext = canonicalKeys(value, lowerMap([...ENTERPRISE_STRINGS, 'manager']));
  const out: NonNullable<UserInput['enterprise']> = {};
  for (const key of ENTERPRISE_STRINGS) {
    const v = optString(ext[key], `${SCHEMA_URN.enterpriseUser}:${key}`);
    if (v !== undefined) out[key] = v;
  }
  const manager = managerFrom(ext.manager);
  if (manager) out.manager = manager;
  return Object.keys(out).length ? out : undefined;
}

/** Entra ID sends the manager as a plain id, as {value} or as [{value, $ref}]; "" or null clears it. */
export function managerFrom(value: unknown): { value: string; displayName?: string } | undefined {
  const path = `${SCHEMA_URN.enterpriseUser}:manager`;
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string') return { value };
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  if (!isObject(first)) throw badRequest('invalidValue', `attribute "${path}" must be an id or an object with "value"`);
  const m = canonicalKeys(first, lowerMap(['value', 'displayName', '$ref']));
  const id = optString(m.value, `${path}.value`);
  if (id === undefined) return undefined;
  const displayName = optString(m.displayName, `${path}.displayName`);
  return displayName === undefined ? { value: id } : { value: id, displayName };
}

/** Finds an extension object by its URN in any letter case. */
function extension(body: Json, urn: string): unknown {
  const lower = urn.toLowerCase();
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** Validates a SCIM User body (POST, PUT, or the result of a PATCH) into a UserInput. */
export function parseUserResource(raw: unknown): UserInput {
  if (!isObject(raw)) throw badRequest('invalidSyntax', 'the request body must be a JSON object');
  const body = canonicalKeys(raw, CORE_CANONICAL);
  if (body.schemas !== undefined && !Array.isArray(body.schemas)) {
    throw badRequest('invalidSyntax', 'attribute "schemas" must be an array of schema URNs');
  }
  // RFC 7643 4.1.1: userName is a string; a boolean or number is refused, not turned into text.
  if (body.userName !== undefined && body.userName !== null && typeof body.userName !== 'string') {
    throw badRequest('invalidValue', 'attribute "userName" must be a string');
  }
  const userName = optString(body.userName, 'userName')?.trim();
  if (!userName) throw badRequest('invalidValue', 'attribute "userName" is required');
  if (userName.length > 256) throw badRequest('invalidValue', 'attribute "userName" is longer than 256 characters');
  const input: UserInput = { userName };

  for (const key of SIMPLE_STRINGS) {
    const v = optString(body[key], key);
    if (v !== undefined) input[key] = v;
  }
  if (body.name !== undefined && body.name !== null) {
    if (!isObject(body.name)) throw badRequest('invalidValue', 'attribute "name" must be an object');
    const nameIn = canonicalKeys(body.name, lowerMap(NAME_PARTS));
    const name: Record<string, string> = {};
    for (const part of NAME_PARTS) {
      const v = optString(nameIn[part], `name.${part}`);
      if (v !== undefined) name[part] = v;
    }
    if (Object.keys(name).length) input.name = name;
  }
  const active = optBoolean(body.active, 'active');
  if (active !== undefined) input.active = active;

  const emailList = multiValues(body.emails, 'emails');
  if (emailList) {
    input.emails = emailList.map((e) => {
      const email = { ...e, value: String(e.value).trim() };
      if (!/^[^\s@]+@[^\s@]+$/.test(email.value)) {
        throw badRequest('invalidValue', `attribute "emails.value" is not an email address: "${email.value}"`);
      }
      return email as { value: string; type?: string; primary?: boolean; display?: string };
    });
  }
  for (const key of MULTI_SIMPLE) {
    const v = multiValues(body[key], key);
    if (v) input[key] = v;
  }
  const addr = addresses(body.addresses);
  if (addr) input.addresses = addr;
  const ent = enterpriseFrom(extension(body, SCHEMA_URN.enterpriseUser));
  if (ent) input.enterprise = ent;
  const ext = customExtensions(body);
  if (ext) input.ext = ext;
  if (body.password !== undefined && body.password !== null) {
    if (typeof body.password !== 'string' || body.password.length === 0) {
      throw badRequest('invalidValue', 'attribute "password" must be a non-empty string');
    }
    if (body.password.length > 1024) throw badRequest('invalidValue', 'attribute "password" is longer than 1024 characters');
    input.password = body.password;
  }
  return input;
}

const BUILT_IN_URNS = [SCHEMA_URN.user, SCHEMA_URN.enterpriseUser, SCHEMA_URN.rosterUser].map((u) => u.toLowerCase());

/**
 * The organization's custom extension values in a body (README "Custom schema extensions"): under
 * the URN as an object, or as flattened `<URN>:<attribute>` keys. A URN-named attribute of no
 * schema this organization serves is 400 invalidValue naming it (RFC 7644 3.12), so a provider's
 * mapping to an undeclared extension fails loudly instead of losing data (Entra ID sends custom
 * extensions without listing them in `schemas`). Ignored instead: an unknown URN the body's
 * `schemas` lists (the client declares a schema Roster does not serve, and RFC 7644 3.3 lets the
 * service provider ignore content it does not support), a null under an unknown URN (clearing what
 * was never stored), and the built-in schemas (Roster's readOnly lifecycle extension comes back on
 * a GET-modify-PUT; RFC 7644 3.5.1 ignores readOnly values).
 */
function customExtensions(body: Json): Record<string, Record<string, unknown>> | undefined {
  const extensions = currentExtensions();
  const listed = Array.isArray(body.schemas) ? body.schemas.filter((u): u is string => typeof u === 'string').map((u) => u.toLowerCase()) : [];
  const sent = new Map<ExtensionDef, Json>();
  for (const [key, value] of Object.entries(body)) {
    if (!/^urn:/i.test(key)) continue;
    const lower = key.toLowerCase();
    if (BUILT_IN_URNS.some((urn) => lower === urn || lower.startsWith(`${urn}:`))) continue;
    const extension = extensions.find((e) => lower === e.schema.id.toLowerCase() || lower.startsWith(`${e.schema.id.toLowerCase()}:`));
    if (!extension) {
      if (value === null || listed.some((urn) => lower === urn || lower.startsWith(`${urn}:`))) continue;
      throw badRequest(
        'invalidValue',
        `"${key}" names a schema extension this organization has not declared; declare it with POST /api/v1/schema-extensions or remove it from the provider's mapping`,
      );
    }
    const values = sent.get(extension) ?? {};
    if (lower === extension.schema.id.toLowerCase()) {
      if (value === null) continue;
      if (!isObject(value)) throw badRequest('invalidValue', `attribute "${extension.schema.id}" must be an object`);
      Object.assign(values, value);
    } else {
      values[key.slice(extension.schema.id.length + 1)] = value;
    }
    sent.set(extension, values);
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const extension of extensions) {
    const values = parseExtensionObject(extension, sent.get(extension) ?? {});
    if (values) out[extension.key] = values;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A write through SCIM replaces the values of the organization's extensions; values of extensions
 * not in the request's context are kept. An immutable attribute (RFC 7643 7) keeps its value once set.
 */
export function carryExtensions(current: UserRecord, next: UserRecord): void {
  const inContext = new Set(currentExtensions().map((e) => e.key));
  for (const [key, values] of Object.entries(current.ext ?? {})) {
    if (!inContext.has(key)) {
      next.ext = { ...next.ext, [key]: values };
      if (current.ciExt?.[key]) next.ciExt = { ...next.ciExt, [key]: current.ciExt[key]! };
    }
  }
  for (const extension of currentExtensions()) {
    for (const attribute of extension.schema.attributes) {
      if (attribute.mutability !== 'immutable') continue;
      const before = current.ext?.[extension.key]?.[attribute.name];
      const after = next.ext?.[extension.key]?.[attribute.name];
      if (before !== undefined && JSON.stringify(before) !== JSON.stringify(after)) {
        throw badRequest('mutability', `attribute "${extension.schema.id}:${attribute.name}" is immutable`);
      }
    }
  }
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** docs/behaviour.md "Rules": the sign-in email is userName when it is an address, else the primary or work email. */
export function signInEmail(input: Pick<UserInput, 'userName' | 'emails'>): string | undefined {
  if (EMAIL_SHAPE.test(input.userName)) return input.userName.toLowerCase();
  const emails = input.emails ?? [];
  const chosen =
    emails.find((e) => e.primary) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  return chosen?.value.toLowerCase();
}

/** The mutable, client-supplied part of a stored user, from a validated input. */
export function recordFieldsFrom(input: UserInput, id: string): Omit<
  UserRecord,
  '_id' | 'orgId' | 'active' | 'status' | 'created' | 'lastModified' | 'version'
> {
  const email = signInEmail(input);
  const fields: ReturnType<typeof recordFieldsFrom> = {
    userName: input.userName,
    userNameKey: input.userName.toLowerCase(),
    emailKey: email ?? `~none:${id}`,
  };
  for (const key of SIMPLE_STRINGS) {
    if (input[key] !== undefined) fields[key] = input[key];
  }
  if (input.displayName !== undefined) fields.displayNameKey = input.displayName.toLowerCase();
  if (input.name) fields.name = input.name;
  if (input.emails) fields.emails = input.emails.map((e) => ({ ...e, valueKey: e.value.toLowerCase() }));
  for (const key of MULTI_SIMPLE) {
    if (input[key]) fields[key] = input[key];
  }
  if (input.addresses) fields.addresses = input.addresses;
  if (input.enterprise) fields.enterprise = input.enterprise;
  if (input.ext) {
    fields.ext = input.ext;
    const ciExt: Record<string, Record<string, unknown>> = {};
    for (const extension of currentExtensions()) {
      const values = input.ext[extension.key];
      const keys = values ? extensionCaseKeys(extension, values) : undefined;
      if (keys) ciExt[extension.key] = keys;
    }
    if (Object.keys(ciExt).length) fields.ciExt = ciExt;
  }
  return fields;
}

/** What a user's SCIM representation derives from memberships at read time (readOnly `groups`, effective `roles`). */
export interface DerivedUserData {
  groups: { value: string; $ref: string; display: string; type: string }[];
  roles: MultiValue[];
}

/**
 * The SCIM User for a stored user (before projection). Without `derived`, `roles` are the direct
 * ones as stored: the base a PATCH applies to, so effective roles never become direct ones.
 */
export function userToScim(user: UserRecord, scimBaseUrl: string, derived?: DerivedUserData): Json {
  const schemas: string[] = [SCHEMA_URN.user];
  const out: Json = { schemas, id: user._id };
  if (user.externalId !== undefined) out.externalId = user.externalId;
  out.userName = user.userName;
  if (user.name) out.name = user.name;
  for (const key of SIMPLE_STRINGS) {
    if (key !== 'externalId' && user[key] !== undefined) out[key] = user[key];
  }
  out.active = user.active;
  if (user.emails?.length) out.emails = user.emails.map(({ valueKey: _k, ...e }) => e);
  for (const key of MULTI_SIMPLE) {
    const values = key === 'roles' && derived ? derived.roles : user[key];
    if (values?.length) out[key] = values;
  }
  if (user.addresses?.length) out.addresses = user.addresses;
  if (derived?.groups.length) out.groups = derived.groups;
  if (user.enterprise && Object.keys(user.enterprise).length) {
    schemas.push(SCHEMA_URN.enterpriseUser);
    const { manager, ...rest } = user.enterprise;
    out[SCHEMA_URN.enterpriseUser] = manager
      ? { ...rest, manager: { ...manager, $ref: `${scimBaseUrl}/Users/${manager.value}` } }
      : rest;
  }
  for (const extension of currentExtensions()) {
    const values = user.ext?.[extension.key];
    if (!values || Object.keys(values).length === 0) continue;
    schemas.push(extension.schema.id);
    out[extension.schema.id] = extensionToScim(values);
  }
  schemas.push(SCHEMA_URN.rosterUser);
  const lifecycle: Json = { status: user.status };
  if (user.invitedAt) lifecycle.invitedAt = user.invitedAt.toISOString();
  if (user.onboardedAt) lifecycle.onboardedAt = user.onboardedAt.toISOString();
  out[SCHEMA_URN.rosterUser] = lifecycle;
  out.meta = {
    resourceType: 'User',
    created: user.created.toISOString(),
    lastModified: user.lastModified.toISOString(),
    location: `${scimBaseUrl}/Users/${user._id}`,
    version: etagOf(user.version),
  };
  return out;
}
