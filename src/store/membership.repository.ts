import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { findIn } from './pushdown.js';

/** One (group, user) pair; `_id` is "<groupId>:<userId>" (see models.ts). */
export interface MembershipRecord {
  _id: string;
  orgId: string;
  groupId: string;
  userId: string;
  created: Date;
}

export function membershipId(groupId: string, userId: string): string {
  return `${groupId}:${userId}`;
}

/** How many memberships one bulk write carries. */
const BATCH = 1000;

function isDuplicateOnly(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[]; message?: string };
  if (e?.code === 11000 && !e.writeErrors) return true;
  if (Array.isArray(e?.writeErrors) && e.writeErrors.length > 0) return e.writeErrors.every((w) => w.code === 11000);
  return /UNIQUE constraint failed|E11000/.test(e?.message ?? '') && !Array.isArray(e?.writeErrors);
}

/**
 * Memberships. Adding is an insert whose duplicate is ignored and removing a delete by _id: both are
 * atomic on MongoDB and on FerretDB 1.x, so concurrent changes to one group need no lock and lose
 * nothing, and each costs the same on a group of 10 or 100,000 members.
 */
export class MembershipRepository {
  private readonly memberships: Collection<MembershipRecord>;
  private readonly inPushdown: boolean;

  constructor(store: Store) {
    this.memberships = store.models.Membership.collection as unknown as Collection<MembershipRecord>;
    // Per-value lookups only where equality has an index and $in has none (FerretDB on PostgreSQL).
    this.inPushdown = store.capabilities.inPushdown || !store.capabilities.equalityPushdown;
  }

  async add(orgId: string, groupId: string, userIds: string[], at: Date): Promise<void> {
    for (let i = 0; i < userIds.length; i += BATCH) {
      const docs = userIds.slice(i, i + BATCH).map((userId) => ({ _id: membershipId(groupId, userId), orgId, groupId, userId, created: at }));
      if (docs.length === 1) {
        try {
          await this.memberships.insertOne(docs[0]!);
        } catch (err) {
          if (!isDuplicateOnly(err)) throw err;
        }
        continue;
      }
      try {
        await this.memberships.insertMany(docs, { ordered: false });
      } catch (err) {
        if (!isDuplicateOnly(err)) throw err;
      }
    }
  }

  async remove(orgId: string, groupId: string, userIds: string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += BATCH) {
      const ops: AnyBulkWriteOperation<MembershipRecord>[] = userIds
        .slice(i, i + BATCH)
        .map((userId) => ({ deleteOne: { filter: { _id: membershipId(groupId, userId), orgId } as Filter<MembershipRecord> } }));
      if (ops.length === 1) await this.memberships.deleteOne((ops[0] as { deleteOne: { filter: Filter<MembershipRecord> } }).deleteOne.filter);
      else await this.memberships.bulkWrite(ops, { ordered: false });
    }
  }

  async removeGroup(orgId: string, groupId: string): Promise<void> {
    await this.memberships.deleteMany({ orgId, groupId } as Filter<MembershipRecord>);
  }

  async removeUser(orgId: string, userId: string): Promise<void> {
    await this.memberships.deleteMany({ orgId, userId } as Filter<MembershipRecord>);
  }

  /** The user ids of a group's members, in insertion-independent (_id) order. */
  async memberIds(orgId: string, groupId: string): Promise<string[]> {
    const docs = await this.memberships
      .find({ orgId, groupId } as Filter<MembershipRecord>, { projection: { userId: 1 } })
      .toArray();
    return docs.map((d) => d.userId);
  }

  /** Memberships of several groups (a page of a list), or of several users. */
  async ofGroups(orgId: string, groupIds: string[]): Promise<MembershipRecord[]> {
    return findIn(this.memberships, this.inPushdown, { orgId }, 'groupId', groupIds);
  }

  async ofUsers(orgId: string, userIds: string[]): Promise<MembershipRecord[]> {
    return findIn(this.memberships, this.inPushdown, { orgId }, 'userId', userIds);
  }

  /** At most `limit` distinct group ids the user is in. */
  async groupIdsOf(orgId: string, userId: string, limit: number): Promise<string[]> {
    const docs = await this.memberships
      .find({ orgId, userId } as Filter<MembershipRecord>, { projection: { groupId: 1 } })
      .limit(limit)
      .toArray();
    return docs.map((d) => d.groupId);
  }

  /** At most `limit` user ids that are members of any of the groups. */
  async userIdsIn(orgId: string, groupIds: string[], limit: number): Promise<string[]> {
    const docs = await findIn(this.memberships, this.inPushdown, { orgId }, 'groupId', groupIds, { projection: { userId: 1 }, limit });
    return [...new Set(docs.map((d) => d.userId))].slice(0, limit);
  }

  async insertRaw(docs: MembershipRecord[]): Promise<void> {
    for (let i = 0; i < docs.length; i += BATCH) await this.memberships.insertMany(docs.slice(i, i + BATCH), { ordered: false });
  }
}
