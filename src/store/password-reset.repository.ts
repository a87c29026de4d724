import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

export type PasswordResetState = 'live' | 'used' | 'replaced' | 'cancelled';

/** A password reset link. */
export interface PasswordResetRecord {
  /** SHA-256 of the secret in the link */
  _id: string;
  orgId: string;
  userId: string;
  /** where the link was sent */
  email: string;
  state: PasswordResetState;
  /** an administrator (side API) or the user from the login page (scope signin) */
  requestedBy: 'admin' | 'self';
  created: Date;
  expiresAt: Date;
  endedAt?: Date;
}

/**
 * Password reset links. Issuing and consuming the links of one user run inside `exclusive(userId)`:
 * FerretDB 1.x does not apply an update's filter atomically (keyed-mutex.ts), so a link is used
 * exactly once only if its read and its write are serialized. Links are looked up by `_id` (the
 * hash) alone, which every engine serves from the primary key; the link names its organization.
 */
export class PasswordResetRepository {
  private readonly links: Collection<PasswordResetRecord>;

  /** `mutex`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly mutex: KeyedMutex = new KeyedMutex(),
  ) {
    this.links = store.models.PasswordReset.collection as unknown as Collection<PasswordResetRecord>;
  }

  exclusive<T>(userId: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(userId, work);
  }

  async insert(link: PasswordResetRecord): Promise<void> {
    await this.links.insertOne(link);
  }

  async findByHash(hash: string): Promise<PasswordResetRecord | null> {
    return this.links.findOne({ _id: hash });
  }

  /** The user's live link, if any (at most one: a new link replaces the previous one). */
  async findLive(orgId: string, userId: string): Promise<PasswordResetRecord | null> {
    return this.links.findOne({ orgId, userId, state: 'live' } as Filter<PasswordResetRecord>, { sort: { created: -1 } });
  }

  async end(hash: string, state: Exclude<PasswordResetState, 'live'>, at: Date): Promise<void> {
    await this.links.updateOne({ _id: hash }, { $set: { state, endedAt: at } });
  }

  /** Ends every live link of the user (a new link replaces them; a suspension or password change cancels them). */
  async endLive(orgId: string, userId: string, state: Exclude<PasswordResetState, 'live'>, at: Date): Promise<number> {
    const result = await this.links.updateMany(
      { orgId, userId, state: 'live' } as Filter<PasswordResetRecord>,
      { $set: { state, endedAt: at } },
    );
    return result.modifiedCount;
  }

  /**
   * Removes the user's links that expired at or before `before` (lazy clean-up: FerretDB has no TTL
   * index). They are kept until then so that a used or replaced link answers 410, not 400.
   */
  async removeExpired(orgId: string, userId: string, before: Date): Promise<void> {
    await this.links.deleteMany({ orgId, userId, expiresAt: { $lte: before } } as Filter<PasswordResetRecord>);
  }
}
