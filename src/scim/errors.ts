/**
 * The one SCIM error family. Every failure that reaches a client is a ScimError
 * (or becomes one in the error handler), and on SCIM routes it is written as
 * RFC 7644 3.12 JSON.
 */

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 3.12, Table 9, plus RFC 9865 section 2.3 for the cursor errors. */
export const SCIM_TYPES = {
  invalidFilter: 400, // RFC 7644 3.4.2.2: the filter syntax is invalid or names an unknown attribute
  tooMany: 400, // RFC 7644 3.4.2.2 (also 413 on /Bulk, RFC 7644 3.7.4)
  uniqueness: 409, // RFC 7644 3.3, 3.5.1: a unique attribute value is already in use
  mutability: 400, // RFC 7644 3.5.1, 3.5.2: an attempt to change an immutable or read-only attribute
  invalidSyntax: 400, // RFC 7644 3.12: the request body is not parsable or violates the schema
  invalidPath: 400, // RFC 7644 3.5.2: the PATCH path is invalid
  noTarget: 400, // RFC 7644 3.5.2: the PATCH path matched nothing
  invalidValue: 400, // RFC 7644 3.12: a value is missing, of the wrong type, or not allowed
  invalidVers: 400, // RFC 7644 3.13: unsupported SCIM version
  sensitive: 403, // RFC 7644 3.4.2: sensitive information in a URI
  tooLarge: 413, // RFC 7644 3.7.4: the bulk payload exceeds maxPayloadSize
  invalidCursor: 400, // RFC 9865 2.3: the cursor is not valid
  expiredCursor: 400, // RFC 9865 2.3: the cursor has expired
  invalidCount: 400, // RFC 9865 2.3: count exceeds the maximum page size
} as const;

export type ScimType = keyof typeof SCIM_TYPES;

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly detail: string;
  /** Extra headers to send with the error (WWW-Authenticate on 401). */
  readonly headers: Record<string, string>;
  /**
   * RFC 9457 3.2 extension members of the side API's problem details (e.g. sign-in's machine-readable
   * `reason`); never written on SCIM routes, whose error body RFC 7644 3.12 fixes.
   */
  readonly extensions: Record<string, string | number>;
  /** The business rule that refused the write (seat limit, email domain), for metrics; never sent. */
  rule?: 'seat' | 'domain';

  constructor(
    status: number,
    detail: string,
    scimType?: ScimType,
    headers: Record<string, string> = {},
    extensions: Record<string, string | number> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.detail = detail;
    this.headers = headers;
    this.extensions = extensions;
  }

  toJSON(): ScimErrorBody {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** A 400 (or the scimType's own status) with the given scimType. */
export function scimTypeError(scimType: ScimType, detail: string): ScimError {
  return new ScimError(SCIM_TYPES[scimType], detail, scimType);
}

export const badRequest = (scimType: ScimType, detail: string): ScimError => new ScimError(400, detail, scimType);
export const notFound = (detail: string): ScimError => new ScimError(404, detail);
export const conflict = (detail: string): ScimError => new ScimError(409, detail, 'uniqueness');
export const forbidden = (detail: string): ScimError => new ScimError(403, detail);
export const preconditionFailed = (detail: string): ScimError => new ScimError(412, detail);
export const unauthorized = (detail: string): ScimError =>
  new ScimError(401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="roster"' });
