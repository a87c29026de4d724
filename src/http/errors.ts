import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { ScimError } from '../scim/errors.js';
import { DuplicateKeyError } from '../store/errors.js';
import { ERROR_CODE } from './request-log.js';
import { noteRefusal } from './metrics.js';
import { NulCharacterError } from './json-body.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Which error format a route speaks: SCIM routes RFC 7644 3.12, the rest RFC 9457 problem details. */
function isScimRoute(path: string): boolean {
  return path === '/scim/v2' || path.startsWith('/scim/v2/');
}

/** Body-parser and similar errors carry an HTTP status and a `type`. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  // A unique-index clash the domain did not name (domain/write.ts names the ones it expects).
  if (err instanceof DuplicateKeyError) return new ScimError(409, 'the request conflicts with an existing resource', 'uniqueness');
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : 'body';
    return new ScimError(400, `${path}: ${issue?.message ?? 'invalid value'}`, 'invalidValue');
  }
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.too.large' || status === 413) {
    return new ScimError(413, 'the request body is larger than this server accepts', 'tooLarge');
  }
  if (e.type === 'entity.parse.failed') {
    if (err instanceof NulCharacterError) return new ScimError(400, err.message, 'invalidValue');
    return new ScimError(400, 'the request body is not valid JSON', 'invalidSyntax');
  }
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
    return new ScimError(415, 'unsupported request body encoding');
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose) {
    return new ScimError(status, err instanceof Error ? err.message : 'bad request');
  }
  return new ScimError(500, 'internal server error');
}

export function sendScimError(res: Response, error: ScimError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(error.toJSON()));
}

export function sendProblem(res: Response, error: ScimError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const body = {
    // Extension members first (RFC 9457 3.2), so they can never replace a standard member.
    ...error.extensions,
    type: error.scimType ? `urn:roster:problem:${error.scimType}` : 'about:blank',
    title: titleFor(error.status),
    status: error.status,
    detail: error.detail,
  };
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    410: 'Gone',
    412: 'Precondition Failed',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
  };
  return titles[status] ?? 'Error';
}

/** The one error handler: every error leaves as JSON, internals never do. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const error = toScimError(err);
  // The request line names an expected error by its code; only unexpected ones (5xx) log a stack.
  const reason = error.extensions.reason;
  (res as unknown as Record<symbol, string>)[ERROR_CODE] = error.scimType ?? (typeof reason === 'string' ? reason : `status${error.status}`);
  noteRefusal(res, error);
  if (error.status >= 500) {
    req.log?.error({ err }, 'request failed');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  if (isScimRoute((req.originalUrl ?? req.url).split("?")[0] ?? "")) sendScimError(res, error);
  else sendProblem(res, error);
};
