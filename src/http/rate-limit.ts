import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterMongo,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { ScimError } from '../scim/errors.js';

export interface RateLimitSettings {
  /** Sustained requests per second per key; 0: no limit. */
  perSecond: number;
  /** Requests allowed above the rate, refilled over burst / perSecond seconds. */
  burst: number;
  /** Failed authentications per client address per minute; 0: no limit. */
  authFailuresPerMinute: number;
}

/**
 * Where the counters live. `db` (MongoDB and engines that apply an update's filter atomically): one
 * collection, `rate_limits`, that every Roster process on the database shares, so the limits hold
 * across processes. Without it (FerretDB 1.x, where a single Roster process serves the database):
 * this process's memory, which is then exact.
 */
export interface RateLimitStore {
  /** the connection's database (mongoose's driver Db) */
  db?: object;
}

/** 429 with Retry-After (RFC 9110 10.2.3, RFC 6585 4); SCIM routes answer it as SCIM error JSON. */
export function tooManyRequests(msBeforeNext: number, what: string): ScimError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new ScimError(429, `too many ${what}: retry after ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
}

type Limiter = Pick<RateLimiterAbstract, 'consume' | 'get' | 'penalty'> | BurstyRateLimiter;

function limiter(store: RateLimitStore, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  if (!store.db) return memory;
  return new RateLimiterMongo({
    storeClient: store.db,
    tableName: 'rate_limits',
    keyPrefix,
    points,
    duration,
    // A database hiccup must not turn every request into a 500: count in memory meanwhile.
    insuranceLimiter: memory,
  });
}

/** A sustained rate plus a burst (rate-limiter-flexible's BurstyRateLimiter). */
function bursty(store: RateLimitStore, name: string, perSecond: number, burst: number): BurstyRateLimiter {
  // Below one request a second (tests, or a very strict setting): one request per 1/rate seconds.
  const base = perSecond >= 1 ? limiter(store, `${name}:rate`, Math.floor(perSecond), 1) : limiter(store, `${name}:rate`, 1, Math.ceil(1 / perSecond));
  const burstLimiter = limiter(store, `${name}:burst`, Math.max(burst, 1), Math.max(1, Math.ceil(Math.max(burst, 1) / perSecond)));
  return new BurstyRateLimiter(base, burstLimiter);
}

async function consume(l: Limiter, key: string, what: string): Promise<ScimError | undefined> {
  try {
    await l.consume(key);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return tooManyRequests(rejection.msBeforeNext, what);
    throw rejection;
  }
}

/**
 * The three limits of docs/architecture.md "Rate limits": per token on authenticated routes, per
 * client address on unauthenticated ones, and failed authentications per client address.
 */
export class RateLimits {
  private readonly perToken?: BurstyRateLimiter;
  private readonly perAddress?: BurstyRateLimiter;
  private readonly authFailures?: RateLimiterAbstract;

  constructor(settings: RateLimitSettings, store: RateLimitStore = {}) {
    if (settings.perSecond > 0) {
      this.perToken = bursty(store, 'token', settings.perSecond, settings.burst);
      this.perAddress = bursty(store, 'address', settings.perSecond, settings.burst);
    }
    if (settings.authFailuresPerMinute > 0) {
      this.authFailures = limiter(store, 'authfail', settings.authFailuresPerMinute, 60);
    }
  }

  /** Unauthenticated requests (no Authorization header), per client address. */
  byAddress(): RequestHandler {
    return (req: Request, _res: Response, next: NextFunction) => {
      if (!this.perAddress || req.headers.authorization !== undefined) return next();
      consume(this.perAddress, clientAddress(req), 'requests from this address').then((e) => next(e), next);
    };
  }

  /** After a successful authentication: the token's own budget. */
  async checkToken(tokenId: string): Promise<ScimError | undefined> {
    return this.perToken ? consume(this.perToken, tokenId, 'requests with this token') : undefined;
  }

  /** Before authenticating: 429 while the address has used up its failed attempts. */
  async checkAuthFailures(req: Request): Promise<ScimError | undefined> {
    if (!this.authFailures) return undefined;
    const state = await this.authFailures.get(clientAddress(req));
    if (state && state.consumedPoints >= this.authFailures.points) return tooManyRequests(state.msBeforeNext, 'failed authentications from this address');
    return undefined;
  }

  /** Counts a failed authentication of the address. */
  async recordAuthFailure(req: Request): Promise<void> {
    if (this.authFailures) await this.authFailures.penalty(clientAddress(req), 1);
  }
}

/** The client address express derives (trust proxy: loopback, so a local reverse proxy's X-Forwarded-For counts). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
