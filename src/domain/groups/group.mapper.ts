import { badRequest } from '../../scim/errors.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import type { GroupRecord } from '../../store/group.repository.js';
import { etagOf } from '../../scim/etag.js';

/** SCIM Group (wire JSON) ⇄ stored group. Members are ids here; the store keeps them as memberships. */

type Json = Record<string, unknown>;

export interface GroupInput {
  displayName: string;
  externalId?: string;
  /** undefined when the body has no "members" (PUT then keeps the members: see group.service.ts). */
  members?: string[];
}

export const MAX_DISPLAY_NAME = 256;
const CORE_PREFIX = `${SCHEMA_URN.group.toLowerCase()}:`;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An attribute name in any letter case, URN-qualified or not (RFC 7643 2.1, RFC 7644 3.10). */
export function attributeName(key: string): string {
  const lower = key.toLowerCase();
  return lower.startsWith(CORE_PREFIX) ? lower.slice(CORE_PREFIX.length) : lower;
}

function optString(value: unknown, path: string): string | undefined {
  // Entra ID sends JSON null (and "") for attributes it clears.
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw badRequest('invalidValue', `attribute "${path}" must be a string`);
}

/**
 * Member ids from a `members` value: an array (or one element) of {value} objects; Entra ID may send
 * bare id strings. Duplicates are folded. `type` other than "User" is invalidValue: Roster has no
 * nested groups.
 */
export function memberIdsFrom(value: unknown, where: string): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  const ids = new Set<string>();
  list.forEach((raw, i) => {
    if (raw === null) return;
    if (typeof raw === 'string') {
      if (raw !== '') ids.add(raw);
      return;
    }
    if (!isObject(raw)) throw badRequest('invalidValue', `${where}[${i}] must be an object with "value"`);
    const entry = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    const id = optString(entry.value, `${where}[${i}].value`);
    if (id === undefined) throw badRequest('invalidValue', `${where}[${i}] has no "value"`);
    const type = optString(entry.type, `${where}[${i}].type`);
    if (type !== undefined && type.toLowerCase() !== 'user') {
      throw badRequest('invalidValue', `${where}[${i}]: members of type "${type}" are not supported; members are Users`);
    }
    ids.add(id);
  });
  return [...ids];
}

/** Validates a SCIM Group body (POST, PUT, or the result of a PATCH without members). */
export function parseGroupResource(raw: unknown): GroupInput {
  if (!isObject(raw)) throw badRequest('invalidSyntax', 'the request body must be a JSON object');
  const body: Json = {};
  for (const [key, value] of Object.entries(raw)) body[attributeName(key)] = value;
  if (body.schemas !== undefined && !Array.isArray(body.schemas)) {
    throw badRequest('invalidSyntax', 'attribute "schemas" must be an array of schema URNs');
  }
  const displayName = optString(body.displayname, 'displayName')?.trim();
  if (!displayName) throw badRequest('invalidValue', 'attribute "displayName" is required');
  if (displayName.length > MAX_DISPLAY_NAME) {
    throw badRequest('invalidValue', `attribute "displayName" is longer than ${MAX_DISPLAY_NAME} characters`);
  }
  const input: GroupInput = { displayName };
  const externalId = optString(body.externalid, 'externalId');
  if (externalId !== undefined) input.externalId = externalId;
  if ('members' in body) input.members = memberIdsFrom(body.members, 'members');
  return input;
}

/** The SCIM Group for a stored group; `members` only when the caller read them. */
export function groupToScim(group: GroupRecord, scimBaseUrl: string, members?: string[]): Json {
  const out: Json = { schemas: [SCHEMA_URN.group], id: group._id };
  if (group.externalId !== undefined) out.externalId = group.externalId;
  out.displayName = group.displayName;
  if (members?.length) {
    out.members = members.map((id) => ({ value: id, $ref: `${scimBaseUrl}/Users/${id}`, type: 'User' }));
  }
  out.meta = {
    resourceType: 'Group',
    created: group.created.toISOString(),
    lastModified: group.lastModified.toISOString(),
    location: `${scimBaseUrl}/Groups/${group._id}`,
    version: etagOf(group.version),
  };
  return out;
}
