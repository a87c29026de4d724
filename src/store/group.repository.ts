import type { Collection, Filter, Sort } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Condition } from '../scim/filter.js';
import { compileCondition } from './filter-query.js';
import { inOrg } from './pushdown.js';
import type { ChangeEvent } from './event.repository.js';
import { carriersWithEvents, clearEvents, eventsOf, type EventCarrier } from './user.repository.js';

/** The stored group (docs/architecture.md): no member array; members live in `memberships`. */
export interface GroupRecord {
  _id: string;
  orgId: string;
  displayName: string;
  displayNameKey: string;
  externalId?: string;
  roleKey?: string;
  roleBinding: string;
  created: Date;
  lastModified: Date;
  version: number;
  /** Events of changes not yet handed to the streams, written with the change (docs/events.md). */
  pendingEvents?: ChangeEvent[];
}

export interface GroupListQuery {
  /** The condition tree of scim/filter.ts; compiled here (filter-query.ts), with the organization ANDed in. */
  filter: Condition;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
}

/** `roleBinding` of a group bound to no role: unique per group, so the unique index lets it be. */
export function unboundKey(id: string): string {
  return `~none:${id}`;
}

/** Every method ANDs the organization id into its query (docs/behaviour.md "Tenancy"). */
export class GroupRepository {
  private readonly groups: Collection<GroupRecord>;

  /**
   * `writes`: the one KeyedMutex of the groups collection (store/repositories.ts builds it once per process):
   * conditional writes per group are serialized in-process, as FerretDB 1.x does not apply an update's
   * filter atomically (keyed-mutex.ts). `touch` runs under it too, so its version bump is never lost.
   */
  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.groups = store.models.Group.collection as unknown as Collection<GroupRecord>;
  }

  async insert(group: GroupRecord): Promise<void> {
    try {
      await this.groups.insertOne(group);
    } catch (err) {
      throw asDuplicateKey(err) ?? err;
    }
  }

  async find(orgId: string, id: string): Promise<GroupRecord | null> {
    return this.groups.findOne({ _id: id, orgId } as Filter<GroupRecord>);
  }

  async findMany(orgId: string, ids: string[]): Promise<GroupRecord[]> {
    if (ids.length === 0) return [];
    return this.groups.find({ _id: { $in: ids }, orgId } as Filter<GroupRecord>).toArray();
  }

  async findBoundTo(orgId: string, roleKeys: string[]): Promise<GroupRecord[]> {
    if (roleKeys.length === 0) return [];
    return this.groups.find({ orgId, roleBinding: { $in: roleKeys } } as Filter<GroupRecord>).toArray();
  }

  async list(orgId: string, query: GroupListQuery): Promise<GroupRecord[]> {
    return this.groups
      .find(inOrg(orgId, compileCondition(query.filter)) as Filter<GroupRecord>)
      .sort(query.sort as Sort)
      .skip(query.skip)
      .limit(query.limit)
      .toArray();
  }

  async count(orgId: string, filter: Condition): Promise<number> {
    return this.groups.countDocuments(inOrg(orgId, compileCondition(filter)) as Filter<GroupRecord>);
  }

  /** Writes the whole group if it is still at `expectedVersion`; false when it moved or is gone. */
  async replace(orgId: string, expectedVersion: number, group: GroupRecord): Promise<boolean> {
    return this.writes.run(group._id, async () => {
      try {
        const result = await this.groups.replaceOne({ _id: group._id, orgId, version: expectedVersion } as Filter<GroupRecord>, group);
        return result.matchedCount === 1;
      } catch (err) {
        throw asDuplicateKey(err) ?? err;
      }
    });
  }

  /**
   * A membership change: new version and lastModified, without reading or writing members. The
   * change's event is made from the group at its new version and pushed in the same update.
   */
  async touch(orgId: string, id: string, at: Date, eventOf?: (after: GroupRecord) => ChangeEvent): Promise<GroupRecord | null> {
    return this.writes.run(id, async () => {
      const current = await this.find(orgId, id);
      if (!current) return null;
      const after: GroupRecord = { ...current, version: current.version + 1, lastModified: at };
      const update: Record<string, unknown> = { $inc: { version: 1 }, $set: { lastModified: at } };
      if (eventOf) {
        const event = eventOf(after);
        after.pendingEvents = [...(current.pendingEvents ?? []), event];
        update.$push = { pendingEvents: event };
      }
      await this.groups.updateOne({ _id: id, orgId } as Filter<GroupRecord>, update);
      return after;
    });
  }

  async clearEvents(docs: EventCarrier[]): Promise<void> {
    await clearEvents(this.groups as unknown as Collection<EventCarrier>, this.writes, docs);
  }

  async withPendingEvents(limit: number): Promise<EventCarrier[]> {
    return carriersWithEvents(this.groups as unknown as Collection<EventCarrier>, limit);
  }

  async pendingEventsOf(id: string): Promise<EventCarrier | null> {
    return eventsOf(this.groups as unknown as Collection<EventCarrier>, id);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.groups.findOne({ _id: id } as Filter<GroupRecord>, { projection: { _id: 1 } })) !== null;
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return this.writes.run(id, async () => {
      const result = await this.groups.deleteOne({ _id: id, orgId } as Filter<GroupRecord>);
      return result.deletedCount === 1;
    });
  }
}
