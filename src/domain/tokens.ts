import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest, notFound } from '../scim/errors.js';
import { TokenRepository, type Scope, type TokenRecord } from '../store/token.repository.js';
import type { Store } from '../store/connection.js';
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
});

export interface IssuedToken {
  id: string;
  name: string;
  scopes: Scope[];
  created: string;
  /** The secret: shown once, never stored. */
  token: string;
}

export class TokenService {
  private readonly repo: TokenRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly operatorToken: string,
  ) {
    this.repo = new TokenRepository(store);
  }

  async issue(orgId: string | null, name: string, scopes: Scope[]): Promise<IssuedToken> {
    if (orgId !== null && scopes.includes('operator')) {
      throw badRequest('invalidValue', 'scopes: operator tokens belong to no organization');
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
    };
    await this.repo.insert(record);
    return { id, name, scopes, created: record.created.toISOString(), token: `${TOKEN_PREFIX}.${id}.${secret}` };
  }

  /** Resolves a bearer token; undefined for anything unknown, malformed or revoked. */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    if (this.operatorToken && sameHash(bearer, this.operatorToken)) {
      return { tokenId: 'env:ROSTER_OPERATOR_TOKEN', tokenName: 'operator (environment)', orgId: null, scopes: ['operator'] };
    }
    const [prefix, id, secret, ...rest] = bearer.split('.');
    if (prefix !== TOKEN_PREFIX || !id || !secret || rest.length > 0 || !/^[0-9a-f]{24}$/.test(id)) return undefined;
    const record = await this.repo.findForAuthentication(id);
    // Hash and compare even when the id is unknown, so timing does not tell which ids exist.
    const matches = sameHash(hashTokenSecret(secret), record?.secretHash ?? 'x');
    if (!record || !matches || record.revokedAt) return undefined;
    return { tokenId: record._id, tokenName: record.name, orgId: record.orgId, scopes: record.scopes };
  }

  /** The organization's live tokens, without secrets (side API). */
  async list(orgId: string): Promise<TokenView[]> {
    const records = await this.repo.listActive(orgId);
    return records.map((r) => ({ id: r._id, name: r.name, scopes: r.scopes, created: r.created.toISOString() }));
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
}

export function newId(): string {
  return randomUUID();
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
