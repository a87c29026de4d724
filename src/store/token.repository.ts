import type { Collection } from 'mongodb';
import type { Store } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

export type Scope = 'scim' | 'admin' | 'signin' | 'operator';

export interface TokenRecord {
  _id: string;
  /** null for operator tokens, which belong to no organization. */
  orgId: string | null;
  name: string;
  scopes: Scope[];
  secretHash: string;
  created: Date;
  revokedAt?: Date;
  /** After this instant the token answers 401 (absent: it never expires). */
  expiresAt?: Date;
  /** Last successful authentication, written at most once a minute. */
  lastUsedAt?: Date;
  /** The secret replaced by the last rotation, valid until `previousSecretValidUntil`. */
  previousSecretHash?: string;
  previousSecretValidUntil?: Date;
  rotatedAt?: Date;
}

export class TokenRepository {
  private readonly tokens: Collection<TokenRecord>;
  /**
   * `rotations`: the tokens collection's one KeyedMutex (store/repositories.ts). FerretDB 1.x does not
   * apply an update's filter atomically: rotations of one token run one at a time.
   */
  constructor(
    store: Store,
    private readonly rotations: KeyedMutex = new KeyedMutex(),
  ) {
    this.tokens = store.models.Token.collection as unknown as Collection<TokenRecord>;
  }

  async insert(token: TokenRecord): Promise<void> {
    await this.tokens.insertOne(token);
  }

  /** By id alone: authentication learns the organization from the token itself. */
  async findForAuthentication(id: string): Promise<TokenRecord | null> {
    return this.tokens.findOne({ _id: id });
  }

  /** The organization's tokens that are not revoked, oldest first; the secret hash is left out. */
  async listActive(orgId: string): Promise<Omit<TokenRecord, 'secretHash' | 'previousSecretHash'>[]> {
    return this.tokens
      .find({ orgId, revokedAt: { $exists: false } }, { projection: { secretHash: 0, previousSecretHash: 0 } })
      .sort({ created: 1, _id: 1 })
      .toArray();
  }

  /** Records a use; only when the stored time is older than `olderThan`, so concurrent uses write once. */
  async touch(id: string, at: Date, olderThan: Date): Promise<void> {
    await this.tokens.updateOne(
      { _id: id, $or: [{ lastUsedAt: { $exists: false } }, { lastUsedAt: { $lt: olderThan } }] },
      { $set: { lastUsedAt: at } },
    );
  }

  /**
   * Gives a live token of the organization a new secret; the old one stays valid until `graceUntil`.
   * Null when the token is unknown there or revoked.
   */
  async rotate(orgId: string, id: string, secretHash: string, at: Date, graceUntil: Date): Promise<TokenRecord | null> {
    return this.rotations.run(id, () => this.rotateNow(orgId, id, secretHash, at, graceUntil));
  }

  private async rotateNow(orgId: string, id: string, secretHash: string, at: Date, graceUntil: Date): Promise<TokenRecord | null> {
    const current = await this.tokens.findOne({ _id: id });
    if (!current || current.orgId !== orgId || current.revokedAt) return null;
    const result = await this.tokens.updateOne(
      { _id: id, orgId, secretHash: current.secretHash, revokedAt: { $exists: false } },
      { $set: { secretHash, previousSecretHash: current.secretHash, previousSecretValidUntil: graceUntil, rotatedAt: at } },
    );
    if (result.matchedCount !== 1) return null;
    return { ...current, secretHash, previousSecretHash: current.secretHash, previousSecretValidUntil: graceUntil, rotatedAt: at };
  }

  /** Marks a token of the organization revoked; false when it is unknown there or already revoked. */
  async revoke(orgId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.tokens.updateOne({ _id: id, orgId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return result.matchedCount === 1;
  }
}
