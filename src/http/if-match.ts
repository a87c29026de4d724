import type { Request } from 'express';
import { badRequest } from '../scim/errors.js';

/**
 * RFC 9110 13.1.1: If-Match = "*" / #entity-tag, entity-tag = [ W/ ] DQUOTE *etagc DQUOTE.
 * Entity tags in visible ASCII, as the IfMatch pattern in openapi/openapi.json says. Returns the
 * header, or undefined when there is none; a value that is not that syntax (an empty header, an
 * unquoted tag) answers 400 rather than 412: it names no version at all.
 */
const IF_MATCH = /^(\*|(W\/)?"[\x21\x23-\x7e]*"(\s*,\s*(W\/)?"[\x21\x23-\x7e]*")*)$/;

export function ifMatchHeader(req: Request): string | undefined {
  const value = req.get('if-match');
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!IF_MATCH.test(trimmed)) {
    throw badRequest('invalidSyntax', 'header "If-Match" must be * or a list of entity tags such as W/"3" (RFC 9110 13.1.1)');
  }
  return trimmed;
}
