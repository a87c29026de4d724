import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Query parameters whose values are logged as sent: paging, sorting, projection and tab names,
 * none of which can hold personal data. Every other value (filter, search, email, token, file
 * names) is logged as "[redacted]", so a lookup such as `filter=userName eq "ada@example.com"`
 * leaves only its parameter name in the log.
 */
const LOGGED_QUERY_VALUES = new Set([
  'startIndex', 'count', 'cursor', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes',
  'tab', 'offset', 'limit', 'role', 'action', 'errorsStartIndex', 'errorsCount',
]);

/** The path as requested, with every query value outside LOGGED_QUERY_VALUES replaced. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const parts: string[] = [];
  for (const [key, value] of params) {
    const safeKey = /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : '[param]';
    parts.push(`${safeKey}=${LOGGED_QUERY_VALUES.has(key) ? encodeURIComponent(value) : '[redacted]'}`);
  }
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** What the request line says about the caller: token and organization ids, never the secret. */
interface AuthenticatedRequest extends IncomingMessage {
  user?: { tokenId: string; orgId: string | null };
  originalUrl?: string;
}

/** Set by the error handler on the response: the expected error's code (scimType, reason or status). */
export const ERROR_CODE = Symbol('roster.errorCode');

function requestLineFields(req: AuthenticatedRequest, res: ServerResponse): Record<string, unknown> {
  const code = (res as ServerResponse & { [ERROR_CODE]?: string })[ERROR_CODE];
  return {
    orgId: req.user?.orgId ?? null,
    tokenId: req.user?.tokenId ?? null,
    ...(code ? { errorCode: code } : {}),
  };
}

/**
 * One JSON log line per request, and a child logger (req.log) that stamps the request id on every
 * line logged while handling it. The request line carries the request id, the organization id and
 * the token id (null before authentication or without a token), the method, the path with query
 * values redacted, the status and, for an expected error, its code. Headers and bodies (which carry
 * tokens and passwords) are never logged.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessObject: (req, res, val: object) => ({ ...val, ...requestLineFields(req as AuthenticatedRequest, res) }),
    customErrorObject: (req, res, _err, val: object) => ({ ...val, ...requestLineFields(req as AuthenticatedRequest, res) }),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; raw?: AuthenticatedRequest }) => ({
        id: req.id,
        method: req.method,
        url: loggableUrl(req.raw?.originalUrl ?? req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
