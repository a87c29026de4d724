import { badRequest } from '../../scim/errors.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';

/** A SearchRequest body (RFC 7644 3.4.3); the schemas check is lenient on what clients omit. */
export function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('invalidSyntax', 'the SearchRequest body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (b.schemas !== undefined && (!Array.isArray(b.schemas) || !b.schemas.includes(SCHEMA_URN.searchRequest))) {
    throw badRequest('invalidSyntax', `"schemas" must contain ${SCHEMA_URN.searchRequest}`);
  }
  return b;
}
