import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The one place that reads process.env (docs/architecture.md "Layers"). Defaults live in
 * config/defaults.json; the environment overrides them; a bad value stops
 * start-up with a message that names the key.
 */

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const defaultsPath = join(projectRoot, 'config', 'defaults.json');

const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)?$/i, 'expected a size such as 512kb or 1mb');

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().min(1),
  BASE_URL: z.union([z.literal(''), z.url()]),
  MONGODB_URI: z.union([z.literal(''), z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI')]),
  ROSTER_DATA_DIR: z.string().min(1),
  ROSTER_EMBEDDED_DB: z.enum(['auto', 'ferretdb', 'mongodb-memory-server', 'ferretdb-postgresql', 'ferretdb-sqlite']),
  ROSTER_OPERATOR_TOKEN: z.union([z.literal(''), z.string().min(24, 'must be at least 24 characters')]),
  ROSTER_BODY_LIMIT: byteSize,
  ROSTER_BULK_MAX_OPERATIONS: z.coerce.number().int().min(1).max(100000),
  ROSTER_BULK_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024),
  ROSTER_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10000),
  ROSTER_DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).max(10000),
  ROSTER_CURSOR_TIMEOUT_SECONDS: z.coerce.number().int().min(1),
  ROSTER_BOOTSTRAP: boolish,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0),
  SMTP_URL: z.union([z.literal(''), z.string().regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL')]),
  SMTP_FROM: z.string().min(3),
  ROSTER_PUBLIC_URL: z.union([z.literal(''), z.url()]),
  ROSTER_SESSION_TTL_HOURS: z.coerce.number().min(0.01).max(24 * 366),
  ROSTER_PASSWORD_RESET_TTL_HOURS: z.coerce.number().min(0.01).max(24 * 30),
  ROSTER_SIGNIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000),
  ROSTER_SIGNIN_WINDOW_MINUTES: z.coerce.number().min(0.1).max(24 * 60),
  ROSTER_IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(512 * 1024 * 1024),
  ROSTER_IMPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(10000),
  ROSTER_IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64),
  ROSTER_IMPORT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100),
  ROSTER_SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20),
  ROSTER_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000),
  ROSTER_RATE_LIMIT_BURST: z.coerce.number().int().min(0).max(1_000_000),
  ROSTER_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000),
  ROSTER_METRICS_TOKEN: z.union([z.literal(''), z.string().min(24, 'must be at least 24 characters')]),
  ROSTER_READINESS_DRAIN_MS: z.coerce.number().int().min(0).max(600_000),
  ROSTER_EVENTS_KEY: z.union([z.literal(''), z.string().regex(/^[A-Za-z0-9+/_-]{43}=?$/, 'expected 32 random bytes in base64 (openssl rand -base64 32)')]),
  ROSTER_EVENTS_MAX_AGE_SECONDS: z.coerce.number().min(0.001).max(30 * 86400),
  ROSTER_EVENTS_BACKOFF_BASE_MS: z.coerce.number().min(0).max(3600_000),
  ROSTER_EVENTS_BACKOFF_MAX_MS: z.coerce.number().min(0).max(86400_000),
  ROSTER_EVENTS_PUSH_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000),
  ROSTER_EVENTS_RETENTION_DAYS: z.coerce.number().min(0.001).max(3650),
  ROSTER_EVENTS_POLL_WAIT_SECONDS: z.coerce.number().min(0).max(300),
  ROSTER_EVENTS_BATCH_MS: z.coerce.number().int().min(0).max(10_000),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Public base URL used in meta.location; derived from the request when empty. */
  readonly baseUrl: string;
  readonly mongodbUri: string;
  readonly dataDir: string;
  readonly embeddedDb: 'auto' | 'ferretdb' | 'mongodb-memory-server' | 'ferretdb-postgresql' | 'ferretdb-sqlite';
  readonly operatorToken: string;
  readonly bodyLimit: string;
  readonly bulk: { readonly maxOperations: number; readonly maxPayloadBytes: number };
  readonly maxPageSize: number;
  readonly defaultPageSize: number;
  readonly cursorTimeoutSeconds: number;
  /** Create a default organization and print its tokens on the first start of an empty database. */
  readonly bootstrap: boolean;
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
  readonly projectRoot: string;
  /** SMTP server for invitations; empty: messages go to the outbox collection. */
  readonly smtpUrl: string;
  readonly smtpFrom: string;
  /** Base of the links in messages (the platform's accept page); empty: BASE_URL, else the request's. */
  readonly publicUrl: string;
  /** How long a sign-in session lasts from sign-in (absolute, not sliding). */
  readonly sessionTtlHours: number;
  /** How long a password reset link stays valid. */
  readonly passwordResetTtlHours: number;
  /** Per account: after `maxFailures` failed sign-ins within `windowMinutes`, 429 for `windowMinutes`. */
  readonly signinThrottle: { readonly maxFailures: number; readonly windowMinutes: number };
  /**
   * Bulk invitation imports: largest uploaded file (413 above it), rows per checkpoint, jobs run at
   * once by this process, and runs a job may start (crashes included) before it is marked failed.
   */
  readonly imports: { readonly maxBytes: number; readonly batchSize: number; readonly concurrency: number; readonly maxAttempts: number };
  /** scrypt work factor (log2 N) of new password hashes: 17 is OWASP's recommendation; lower only in tests. */
  readonly scryptLogN: number;
  /**
   * Requests per second and burst per token (authenticated routes) and per client address
   * (unauthenticated routes); 0 turns the limit off. `authFailuresPerMinute`: failed
   * authentications (bad bearer tokens) per client address per minute; 0 turns it off.
   */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number; readonly authFailuresPerMinute: number };
  /** Bearer token that GET /metrics requires; empty: /metrics answers 404. */
  readonly metricsToken: string;
  /** On SIGTERM, how long /readyz answers 503 before the listener closes (load balancers stop sending). */
  readonly readinessDrainMs: number;
  /**
   * Lifecycle events (docs/events.md): the key-encryption key of the signing keys (base64, 32 bytes;
   * empty: one is made and kept in the database, with a warning), how long a push SET is retried
   * before its stream is paused, the backoff, one push's timeout, how long delivered SETs are kept,
   * how long a poll without returnImmediately waits, and the relay's batching window.
   */
  readonly events: {
    readonly key: string;
    readonly maxAgeMs: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly pushTimeoutMs: number;
    readonly retentionDays: number;
    readonly pollWaitMs: number;
    readonly batchMs: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  const defaults = JSON.parse(readFileSync(defaultsPath, 'utf8')) as Record<string, unknown>;
  const raw: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  if (c.ROSTER_DEFAULT_PAGE_SIZE > c.ROSTER_MAX_PAGE_SIZE) {
    throw new ConfigError('invalid configuration: ROSTER_DEFAULT_PAGE_SIZE: must not exceed ROSTER_MAX_PAGE_SIZE');
  }
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    baseUrl: c.BASE_URL.replace(/\/+$/, ''),
    mongodbUri: c.MONGODB_URI,
    dataDir: resolve(projectRoot, c.ROSTER_DATA_DIR),
    embeddedDb: c.ROSTER_EMBEDDED_DB,
    operatorToken: c.ROSTER_OPERATOR_TOKEN,
    bodyLimit: c.ROSTER_BODY_LIMIT,
    bulk: Object.freeze({ maxOperations: c.ROSTER_BULK_MAX_OPERATIONS, maxPayloadBytes: c.ROSTER_BULK_MAX_PAYLOAD_BYTES }),
    maxPageSize: c.ROSTER_MAX_PAGE_SIZE,
    defaultPageSize: c.ROSTER_DEFAULT_PAGE_SIZE,
    cursorTimeoutSeconds: c.ROSTER_CURSOR_TIMEOUT_SECONDS,
    bootstrap: c.ROSTER_BOOTSTRAP,
    logLevel: c.LOG_LEVEL,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    projectRoot,
    smtpUrl: c.SMTP_URL,
    smtpFrom: c.SMTP_FROM,
    publicUrl: c.ROSTER_PUBLIC_URL.replace(/\/+$/, ''),
    sessionTtlHours: c.ROSTER_SESSION_TTL_HOURS,
    passwordResetTtlHours: c.ROSTER_PASSWORD_RESET_TTL_HOURS,
    signinThrottle: Object.freeze({ maxFailures: c.ROSTER_SIGNIN_MAX_FAILURES, windowMinutes: c.ROSTER_SIGNIN_WINDOW_MINUTES }),
    imports: Object.freeze({
      maxBytes: c.ROSTER_IMPORT_MAX_BYTES,
      batchSize: c.ROSTER_IMPORT_BATCH_SIZE,
      concurrency: c.ROSTER_IMPORT_CONCURRENCY,
      maxAttempts: c.ROSTER_IMPORT_MAX_ATTEMPTS,
    }),
    scryptLogN: c.ROSTER_SCRYPT_LOG_N,
    rateLimit: Object.freeze({
      perSecond: c.ROSTER_RATE_LIMIT_PER_SECOND,
      burst: c.ROSTER_RATE_LIMIT_BURST,
      authFailuresPerMinute: c.ROSTER_AUTH_FAILURES_PER_MINUTE,
    }),
    metricsToken: c.ROSTER_METRICS_TOKEN,
    readinessDrainMs: c.ROSTER_READINESS_DRAIN_MS,
    events: Object.freeze({
      key: c.ROSTER_EVENTS_KEY,
      maxAgeMs: c.ROSTER_EVENTS_MAX_AGE_SECONDS * 1000,
      backoffBaseMs: c.ROSTER_EVENTS_BACKOFF_BASE_MS,
      backoffMaxMs: c.ROSTER_EVENTS_BACKOFF_MAX_MS,
      pushTimeoutMs: c.ROSTER_EVENTS_PUSH_TIMEOUT_MS,
      retentionDays: c.ROSTER_EVENTS_RETENTION_DAYS,
      pollWaitMs: c.ROSTER_EVENTS_POLL_WAIT_SECONDS * 1000,
      batchMs: c.ROSTER_EVENTS_BATCH_MS,
    }),
  });
}
