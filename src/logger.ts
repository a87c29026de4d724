import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values are personal data or secrets, wherever a log call puts them (top level or up to
 * two objects deep). pino replaces their values before the line is written.
 */
const SENSITIVE_KEYS = [
  'password', 'newPassword', 'currentPassword', 'temporaryPassword', 'passwordHash',
  'token', 'secret', 'secretHash', 'authorization', 'cookie',
  'email', 'emails', 'userName', 'displayName', 'name', 'givenName', 'familyName', 'formatted',
  'filter', 'search', 'link', 'keyValue', 'changes',
];
// The request line's req.url is rewritten by request-log.ts (query values removed), not dropped.
const REDACT_PATHS = SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * The last net under the rules above, applied to every serialized line: e-mail addresses, Roster
 * bearer secrets (tokens, sessions, links) and `token=` query values, in whatever message or error
 * text they hide (a driver's duplicate-key message quotes the key's value, for example).
 */
export function scrubLogLine(line: string): string {
  return line
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, '[email]')
    .replace(/\br(?:st|ss|si|pr)\.[0-9a-f]{24}\.[A-Za-z0-9_-]+/g, '[secret]')
    .replace(/([?&](?:token|code|secret)=)[^&"\s\\]+/gi, '$1[redacted]')
    .replace(/(Bearer\s+)[^\s"\\]+/gi, '$1[redacted]');
}

/** An error as logged: its kind, code, scrubbed message and stack; never the fields drivers attach (key values, documents). */
function errorSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; status?: unknown; scimType?: unknown };
  return {
    type: e.name,
    message: e.message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.scimType !== undefined ? { scimType: e.scimType } : {}),
    ...(e.status !== undefined ? { status: e.status } : {}),
    stack: e.stack,
  };
}

/**
 * The logger is the one module-level singleton (docs/architecture.md "Layers"); this builds it from config.
 * `destination` is for tests that read what was logged (stdout otherwise).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errorSerializer },
    hooks: { streamWrite: scrubLogLine },
  };
  return destination ? pino(options, destination) : pino(options);
}
