import type { Collection } from 'mongodb';
import type { Store } from './connection.js';

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
}

export class TokenRepository {
  private readonly tokens: Collection<TokenRecord>;

  constructor(store: Store) {
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
  async listActive(orgId: string): Promise<Omit<TokenRecord, 'secretHash'>[]> {
    return this.tokens
      .find({ orgId, revokedAt: { $exists: false } }, { projection: { secretHash: 0 } })
      .sort({ created: 1, _id: 1 })
      .toArray();
  }

  /** Marks a token of the organization revoked; false when it is unknown there or already revoked. */
  async revoke(orgId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.tokens.updateOne({ _id: id, orgId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return result.matchedCount === 1;
  }
}
