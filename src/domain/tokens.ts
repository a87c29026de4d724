import { createHash, randomBytes } from 'node:crypto';
import type { Repositories } from '../store/repositories.js';
import { z } from 'zod';
import { badRequest, notFound } from '../scim/errors.js';
import { type TokenRepository, type Scope, type TokenRecord } from '../store/token.repository.js';
import { hashTokenSecret, newSecret, sameHash } from './secrets.js';
import type { Actor, Clock } from './context.js';

/** What a valid bearer token proves. */
export interface Principal {
  tokenId: string;
  tokenName: string;
  orgId: string | null;
  scopes: Scope[];
  /** Who acts, when not the token itself: the signed-in person of a console session. */
  actor?: Actor;
}

export const ORG_SCOPES = ['scim', 'admin', 'signin'] as const;
const TOKEN_PREFIX = 'rst';

export const issueTokenInput = z.object({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(ORG_SCOPES)).min(1),
  /** Optional expiry (RFC 3339); must be in the future. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** Rotation keeps the old secret valid this long by default (README "Tokens"): time to roll it out. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 3600;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export const rotateTokenInput = z
  .object({ gracePeriodSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).optional() })
  .strict();

/** lastUsedAt is written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedToken {
  id: string;
  name: string;
  scopes: Scope[];
  created: string;
  expiresAt?: string;
  /** The secret: shown once, never stored. */
  token: string;
}

/** A rotation's answer: the new bearer token (shown once) and until when the old one still works. */
export interface RotatedToken extends TokenView {
  token: string;
  previousSecretValidUntil: string;
}

export class TokenService {
  private readonly repo: TokenRepository;
  /** When this process last wrote lastUsedAt, per token id (bounded; a cache, not the truth). */
  private readonly lastTouch = new Map<string, number>();

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly operatorToken: string,
  ) {
    this.repo = repos.tokens;
  }

  async issue(orgId: string | null, name: string, scopes: Scope[], expiresAt?: string): Promise<IssuedToken> {
    if (orgId !== null && scopes.includes('operator')) {
      throw badRequest('invalidValue', 'scopes: operator tokens belong to no organization');
    }
    const expires = expiresAt === undefined ? undefined : new Date(expiresAt);
    if (expires && expires.getTime() <= this.clock.now().getTime()) {
      throw badRequest('invalidValue', 'expiresAt: must be in the future');
    }
    const id = randomBytes(12).toString('hex');
    const secret = newSecret();
    const record: TokenRecord = {
      _id: id,
      orgId,
      name,
      scopes,
      secretHash: hashTokenSecret(secret),
      created: this.clock.now(),
      ...(expires ? { expiresAt: expires } : {}),
    };
    await this.repo.insert(record);
    return {
      id,
      name,
      scopes,
      created: record.created.toISOString(),
      ...(expires ? { expiresAt: expires.toISOString() } : {}),
      token: `${TOKEN_PREFIX}.${id}.${secret}`,
    };
  }

  /**
   * A new secret for a live token of the organization; the old secret keeps working for
   * `graceSeconds` (default one hour) so the new one can be rolled out without an outage. A second
   * rotation replaces the first's grace: only the latest previous secret is kept.
   */
  async rotate(orgId: string, id: string, graceSeconds = DEFAULT_ROTATION_GRACE_SECONDS): Promise<RotatedToken> {
    const now = this.clock.now();
    const secret = newSecret();
    const graceUntil = new Date(now.getTime() + graceSeconds * 1000);
    const record = /^[0-9a-f]{24}$/.test(id) ? await this.repo.rotate(orgId, id, hashTokenSecret(secret), now, graceUntil) : null;
    if (!record) throw notFound(`token ${id} not found`);
    return { ...viewOf(record), token: `${TOKEN_PREFIX}.${id}.${secret}`, previousSecretValidUntil: graceUntil.toISOString() };
  }

  /** Resolves a bearer token; undefined for anything unknown, malformed or revoked. */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    if (this.operatorToken && sameHash(bearer, this.operatorToken)) {
      return { tokenId: 'env:ROSTER_OPERATOR_TOKEN', tokenName: 'operator (environment)', orgId: null, scopes: ['operator'] };
    }
    const [prefix, id, secret, ...rest] = bearer.split('.');
    if (prefix !== TOKEN_PREFIX || !id || !secret || rest.length > 0 || !/^[0-9a-f]{24}$/.test(id)) return undefined;
    const record = await this.repo.findForAuthentication(id);
    const now = this.clock.now();
    // Hash and compare even when the id is unknown, so timing does not tell which ids exist.
    const hash = hashTokenSecret(secret);
    const current = sameHash(hash, record?.secretHash ?? 'x');
    const previous = sameHash(hash, record?.previousSecretHash ?? 'x');
    if (!record || record.revokedAt) return undefined;
    const inGrace = previous && record.previousSecretValidUntil !== undefined && now.getTime() < record.previousSecretValidUntil.getTime();
    if (!current && !inGrace) return undefined;
    if (record.expiresAt && now.getTime() >= record.expiresAt.getTime()) return undefined;
    this.noteUse(record, now);
    return { tokenId: record._id, tokenName: record.name, orgId: record.orgId, scopes: record.scopes };
  }

  /**
   * lastUsedAt, at most once a minute per token: skipped when the stored time is recent, and the
   * write itself is conditional so concurrent requests (or processes) add at most one more write.
   * It never delays or fails the request.
   */
  private noteUse(record: TokenRecord, now: Date): void {
    const threshold = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if (record.lastUsedAt && record.lastUsedAt.getTime() > threshold.getTime()) return;
    const last = this.lastTouch.get(record._id);
    if (last !== undefined && last > threshold.getTime()) return;
    this.lastTouch.set(record._id, now.getTime());
    if (this.lastTouch.size > 10_000) this.lastTouch.clear();
    this.repo.touch(record._id, now, threshold).catch(() => this.lastTouch.delete(record._id));
  }

  /** The organization's live tokens, without secrets (side API). */
  async list(orgId: string): Promise<TokenView[]> {
    const records = await this.repo.listActive(orgId);
    return records.map(viewOf);
  }

  /** Revokes a token of the organization: the next request that carries it is 401. 404 when unknown or already revoked. */
  async revoke(orgId: string, id: string): Promise<void> {
    if (!(await this.repo.revoke(orgId, id, this.clock.now()))) throw notFound(`token ${id} not found`);
  }
}

/** A token as listed: never its secret or hash. */
export interface TokenView {
  id: string;
  name: string;
  scopes: Scope[];
  created: string;
  expiresAt?: string;
  lastUsedAt?: string;
  rotatedAt?: string;
}

function viewOf(r: Omit<TokenRecord, 'secretHash' | 'previousSecretHash'>): TokenView {
  return {
    id: r._id,
    name: r.name,
    scopes: r.scopes,
    created: r.created.toISOString(),
    ...(r.expiresAt ? { expiresAt: r.expiresAt.toISOString() } : {}),
    ...(r.lastUsedAt ? { lastUsedAt: r.lastUsedAt.toISOString() } : {}),
    ...(r.rotatedAt ? { rotatedAt: r.rotatedAt.toISOString() } : {}),
  };
}


/**
 * The same id for the same name, shaped like a UUID (RFC 9562 version 8, from SHA-256): what a
 * retried or resumed write uses so it finds its own earlier work instead of doing it twice.
 */
export function idFor(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
