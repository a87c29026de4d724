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
}
