import { preconditionFailed } from './errors.js';

/** A resource's ETag (RFC 7644 3.14): weak, from its version number. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** If-Match (RFC 7644 3.14, RFC 9110 13.1.1): weak comparison of the listed ETags, or "*". */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*')) return;
  const current = `"${version}"`;
  if (!tags.some((t) => t.replace(/^W\//, '') === current)) {
    throw preconditionFailed(`If-Match ${ifMatch} does not match the current version W/${current}`);
  }
}
