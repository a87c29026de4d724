import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import type { UserRecord } from './user.repository.js';
import { escapeRegex } from '../scim/filter.js';

/** How many recently deleted users with one address a sign-in looks at (newest first). */
const DELETED_CANDIDATES = 10;

/**
 * Read-only lookups of users by sign-in email for sign-in and self-service password reset. Kept
 * apart from UserRepository because only sign-in reads deleted users by address: their unique keys
 * are `~deleted:<id>`, so they are found by their stored addresses instead, and the domain picks the
 * one whose sign-in email it is. Every query is scoped by organization.
 */
export class SessionUsersRepository {
  private readonly users: Collection<UserRecord>;

  constructor(store: Store) {
    this.users = store.models.User.collection as unknown as Collection<UserRecord>;
  }

  /** The invited, active or suspended user whose sign-in email key is `emailKey` (unique per organization). */
  async findLive(orgId: string, emailKey: string): Promise<UserRecord | null> {
    return this.users.findOne({ orgId, emailKey, status: { $ne: 'deleted' } } as Filter<UserRecord>);
  }

  /** Recently deleted users that hold this address as userName or email, most recently deleted first. */
  async findDeleted(orgId: string, emailKey: string): Promise<UserRecord[]> {
    return this.users
      .find({
        orgId,
        status: 'deleted',
        $or: [{ 'emails.valueKey': emailKey }, { userName: { $regex: `^${escapeRegex(emailKey)}$`, $options: 'i' } }],
      } as Filter<UserRecord>)
      .sort({ deletedAt: -1, _id: 1 })
      .limit(DELETED_CANDIDATES)
      .toArray();
  }
}
