import { CASE_KEYS_VERSION, withCaseKeys } from './case-keys.js';
import { MetaRepository } from './meta.repository.js';
import type { Collection, Filter, Sort } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey, type DuplicateKeyError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Condition } from '../scim/filter.js';
import { compileCondition } from './filter-query.js';
import { findIn, inOrg } from './pushdown.js';
import type { EngineSql } from './ferretdb-postgresql.js';
import type { ChangeEvent } from './event.repository.js';

export type UserStatus = 'invited' | 'active' | 'suspended' | 'deleted';

export interface MultiValue {
  value?: unknown;
  display?: string;
  type?: string;
  primary?: boolean;
}
export interface EmailValue extends MultiValue {
  value: string;
  valueKey: string;
}
export interface AddressValue {
  formatted?: string;
  streetAddress?: string;
  locality?: string;
  region?: string;
  postalCode?: string;
  country?: string;
  type?: string;
  primary?: boolean;
}

/** The stored user (docs/architecture.md). */
export interface UserRecord {
  _id: string;
  orgId: string;
  userName: string;
  userNameKey: string;
  emailKey: string;
  externalId?: string;
  name?: Record<string, string>;
  displayName?: string;
  displayNameKey?: string;
  nickName?: string;
  profileUrl?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active: boolean;
  status: UserStatus;
  emails?: EmailValue[];
  phoneNumbers?: MultiValue[];
  ims?: MultiValue[];
  photos?: MultiValue[];
  addresses?: AddressValue[];
  entitlements?: MultiValue[];
  roles?: MultiValue[];
  x509Certificates?: MultiValue[];
  enterprise?: {
    employeeNumber?: string;
    costCenter?: string;
    organization?: string;
    division?: string;
    department?: string;
    manager?: { value: string; displayName?: string };
  };
  invitedAt?: Date;
  onboardedAt?: Date;
  deletedAt?: Date;
  /** Lower-cased shadow keys (store/case-keys.ts), written by this repository; never returned. */
  ci?: Record<string, unknown>;
  ciVersion?: number;
  /** Custom extension values by extension key, and their lower-cased shadow keys (scim/extensions.ts). */
  ext?: Record<string, Record<string, unknown>>;
  ciExt?: Record<string, Record<string, unknown>>;
  previousStatus?: UserStatus;
  passwordHash?: string;
  /** Set with a temporary password: sign-in asks for a new one first (docs/behaviour.md "Side API"). */
  mustChangePassword?: boolean;
  /**
   * The last time access ended (suspend, delete, password change) and why: a sign-in session opened
   * before it is never valid again, even after a restore or reactivation, whatever happened to the
   * listeners that end sessions.
   */
  accessEnded?: { at: Date; reason: 'suspended' | 'deleted' | 'password_changed' };
  created: Date;
  lastModified: Date;
  version: number;
  /** Events of changes not yet handed to the streams, written with the change (docs/events.md). */
  pendingEvents?: ChangeEvent[];
}

export interface ListQuery {
  /** The condition tree of scim/filter.ts; compiled here (filter-query.ts), with the scope ANDed in. */
  filter: Condition;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
}

/** Up to this many ids are looked up one by one by _id (see visibleIds). */
const BY_ID_LOOKUPS = 20;

/** Users that SCIM can see: everything but the recently deleted (RFC 7644 3.6: deleted is gone). */
const VISIBLE = { status: { $ne: 'deleted' } } as const;

/**
 * The organization scope and visibility ANDed into a query. Flat when the filter has no
 * top-level orgId or status of its own (FerretDB evaluates a flat document noticeably faster
 * than the same conditions under $and); $and otherwise, so no condition can replace another.
 */
export function scoped(orgId: string, filter: Record<string, unknown>): Filter<UserRecord> {
  if ('orgId' in filter) return { $and: [{ orgId }, VISIBLE, filter] } as Filter<UserRecord>;
  // orgId stays at the top level, where FerretDB 1.x pushes it down (a top-level $and never is).
  if ('status' in filter) return { orgId, $and: [VISIBLE, filter] } as Filter<UserRecord>;
  return { ...filter, orgId, ...VISIBLE } as Filter<UserRecord>;
}

/** The direction of the default order `{created, _id}` of an unfiltered list, else undefined. */
function defaultOrder(query: ListQuery, filter: Record<string, unknown>): 1 | -1 | undefined {
  if (Object.keys(filter).length !== 0) return undefined;
  const sort = query.sort as Record<string, unknown>;
  const keys = Object.keys(sort);
  if (keys.length !== 2 || keys[0] !== 'created' || keys[1] !== '_id' || sort.created !== sort._id) return undefined;
  return sort.created === 1 || sort.created === -1 ? sort.created : undefined;
}

/** The statuses of a filter that is exactly `{status: {$in: [strings]}}`, else undefined. */
function statusesOnly(filter: Record<string, unknown>): string[] | undefined {
  if (Object.keys(filter).length !== 1) return undefined;
  const status = filter.status as { $in?: unknown } | undefined;
  if (!status || typeof status !== 'object' || Object.keys(status).length !== 1 || !Array.isArray(status.$in)) return undefined;
  return status.$in.every((s) => typeof s === 'string') ? (status.$in as string[]) : undefined;
}

/**
 * Every method takes the organization id and ANDs it into the query: no
 * read or write can cross a tenant (docs/behaviour.md "Tenancy").
 */
export class UserRepository {
  private readonly users: Collection<UserRecord>;
  private readonly sql: EngineSql | undefined;

  private readonly meta: MetaRepository;

  /** `writes`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.users = store.models.User.collection as unknown as Collection<UserRecord>;
    this.meta = new MetaRepository(store);
    this.sql = store.sql;
    this.inPushdown = store.capabilities.inPushdown || !store.capabilities.equalityPushdown;
  }

  /** Whether one `$in` is served as well as equality lookups (pushdown.ts findIn). */
  private readonly inPushdown: boolean;

  /** Extra shadow keys for a record (custom extension values), set by the domain layer. */
  extraCaseKeys: (user: UserRecord) => Record<string, unknown> = () => ({});

  /** The document written for a record: its lower-cased shadow keys recomputed (store/case-keys.ts). */
  private stored(user: UserRecord): UserRecord {
    return withCaseKeys(user, this.extraCaseKeys(user));
  }

  /**
   * Writes the shadow keys of users stored before they existed (or under an older shape), a batch
   * at a time, so startup never holds the collection in memory. A user written meanwhile is skipped:
   * its writer stored the keys. Returns how many users were updated.
   */
  async backfillCaseKeys(batchSize = 500): Promise<number> {
    // Done once per shape: later writes store the keys themselves. One cursor over the collection
    // (the driver holds one batch at a time): on FerretDB 1.x, which scans for anything but an _id
    // lookup, a query per batch would read the collection once per batch.
    const marker = `users.caseKeys.v${CASE_KEYS_VERSION}`;
    if (await this.meta.has(marker)) return 0;
    let updated = 0;
    for await (const user of this.users.find({} as Filter<UserRecord>, { batchSize })) {
      if (user.ciVersion === CASE_KEYS_VERSION) continue;
      // Under the user's write lock, from the user as it is now, by _id alone (the one filter
      // FerretDB 1.x serves from an index; it applies no update filter atomically anyway).
      updated += await this.writes.run(user._id, async () => {
        const current = await this.users.findOne({ _id: user._id } as Filter<UserRecord>);
        if (!current || current.ciVersion === CASE_KEYS_VERSION) return 0;
        const { ci, ciVersion } = this.stored(current);
        const result = await this.users.updateOne({ _id: user._id } as Filter<UserRecord>, { $set: { ci, ciVersion } } as never);
        return result.modifiedCount;
      });
    }
    await this.meta.claim(marker, { updated }, new Date());
    return updated;
  }


  async insert(user: UserRecord): Promise<void> {
    try {
      await this.users.insertOne(this.stored(user));
    } catch (err) {
      throw asDuplicateKey(err) ?? err;
    }
  }

  /**
   * Inserts many new users in one command (bulk import batches), unordered: a user that clashes on a
   * unique key is left out and named in the answer (id -> the clash), the others are written.
   * Any other failure is thrown; then some of the users may be written (the import's resume finds them).
   */
  async insertMany(users: UserRecord[]): Promise<Map<string, DuplicateKeyError>> {
    const clashes = new Map<string, DuplicateKeyError>();
    if (users.length === 0) return clashes;
    try {
      await this.users.insertMany(users.map((u) => this.stored(u)), { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; errmsg?: string; code?: number }[] | { index: number } }).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (list.length === 0) throw asDuplicateKey(err) ?? err;
      for (const e of list as { index: number; errmsg?: string; code?: number; err?: unknown }[]) {
        const dup = asDuplicateKey({ code: e.code, message: e.errmsg ?? '' });
        if (!dup) throw err;
        clashes.set(users[e.index]!._id, dup);
      }
    }
    return clashes;
  }

  /**
   * Which of these lower-cased sign-in email keys a user of the organization holds (indexed equality
   * lookups on engines that do not push `$in` down, pushdown.ts). A userName clash is left to the
   * unique index at insert.
   */
  async takenEmailKeys(orgId: string, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    if (this.sql) return new Set((await this.sql.findIn('users', orgId, 'emailKey', [...new Set(keys)], ['emailKey'])).map(([key]) => key!));
    const found = await findIn(this.users, this.inPushdown, { orgId }, 'emailKey', keys, { projection: { emailKey: 1 } });
    return new Set(found.map((u) => u.emailKey));
  }

  /**
   * findVisible with a filter of `_id` alone, the one filter FerretDB 1.x serves from an index (see
   * visibleIds); the scope and visibility are checked here. For per-row paths of large jobs.
   */
  async findVisibleById(orgId: string, id: string, projection?: Record<string, 1>): Promise<UserRecord | null> {
    const user = await this.users.findOne({ _id: id } as Filter<UserRecord>, projection ? { projection: { ...projection, orgId: 1, status: 1 } } : {});
    return user && user.orgId === orgId && user.status !== 'deleted' ? user : null;
  }

  async findVisible(orgId: string, id: string): Promise<UserRecord | null> {
    return this.users.findOne({ _id: id, orgId, ...VISIBLE } as Filter<UserRecord>);
  }

  async list(orgId: string, query: ListQuery): Promise<UserRecord[]> {
    const filter = compileCondition(query.filter);
    const direction = defaultOrder(query, filter);
    if (this.sql && direction && query.limit > 0) {
      // An unfiltered page on FerretDB: its keys from SQL, then each user by _id (ferretdb-postgresql.ts).
      const ids = await this.sql.pageIds('users', orgId, 'deleted', direction, query.skip, query.limit);
      const found = new Map((await findIn(this.users, false, {}, '_id', ids)).map((u) => [u._id, u]));
      return ids.map((id) => found.get(id)).filter((u): u is UserRecord => !!u && u.orgId === orgId && u.status !== 'deleted');
    }
    return this.users
      .find(scoped(orgId, filter))
      .sort(query.sort as Sort)
      .skip(query.skip)
      .limit(query.limit)
      .toArray();
  }

  async count(orgId: string, condition: Condition): Promise<number> {
    const filter = compileCondition(condition);
    // count=0 and unfiltered totals on FerretDB: counted in SQL, not read into FerretDB (ferretdb-postgresql.ts).
    if (this.sql && Object.keys(filter).length === 0) return this.sql.count('users', orgId, { ne: 'deleted' });
    return this.users.countDocuments(scoped(orgId, filter));
  }

  /**
   * Writes the whole user if it is still at `expectedVersion` (optimistic
   * concurrency: a concurrent change is detected, never overwritten).
   * Returns false when the version moved or the user is gone.
   */
  async replace(orgId: string, expectedVersion: number, user: UserRecord): Promise<boolean> {
    return this.writes.run(user._id, async () => {
      try {
        const result = await this.users.replaceOne(
          { _id: user._id, orgId, version: expectedVersion, ...VISIBLE } as Filter<UserRecord>,
          this.stored(user),
        );
        return result.matchedCount === 1;
      } catch (err) {
        throw asDuplicateKey(err) ?? err;
      }
    });
  }

  /** Which of these ids are visible users of the organization (group members must be). */
  async visibleIds(orgId: string, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (ids.length <= BY_ID_LOOKUPS) {
      // The few ids a member PATCH names are read by _id alone, which every engine serves from its
      // primary index (FerretDB 1.x serves nothing else: an $in with orgId scans the organization's
      // users), and the scope is checked here, so no other organization's user ever counts.
      const docs = await Promise.all(ids.map((id) => this.findVisibleById(orgId, id, { _id: 1 })));
      for (const d of docs) if (d) found.add(d._id);
      return found;
    }
    for (let i = 0; i < ids.length; i += 1000) {
      const docs = await this.users
        .find({ _id: { $in: ids.slice(i, i + 1000) }, orgId, ...VISIBLE } as Filter<UserRecord>, { projection: { _id: 1 } })
        .toArray();
      for (const d of docs) found.add(d._id);
    }
    return found;
  }

  /**
   * The organization's recently deleted users: their memberships stay so that a restore brings
   * them back, and readers leave them out. They are few (retention), so one read serves a whole group.
   */
  async deletedIds(orgId: string): Promise<Set<string>> {
    const docs = await this.users.find({ orgId, status: 'deleted' } as Filter<UserRecord>, { projection: { _id: 1 } }).toArray();
    return new Set(docs.map((d) => d._id));
  }

  /**
   * The side API's user list: recently deleted users included, so `filter` must say which
   * statuses it wants. The organization is ANDed in like everywhere else.
   */
  async listAny(orgId: string, query: ListQuery): Promise<UserRecord[]> {
    return this.users
      .find(inOrg(orgId, compileCondition(query.filter)) as Filter<UserRecord>)
      .sort(query.sort as Sort)
      .skip(query.skip)
      .limit(query.limit)
      .toArray();
  }

  async countAny(orgId: string, condition: Condition): Promise<number> {
    const filter = compileCondition(condition);
    const statuses = statusesOnly(filter);
    // The admin tabs' counts on FerretDB: in SQL (ferretdb-postgresql.ts).
    if (this.sql && statuses) return this.sql.count('users', orgId, { in: statuses });
    return this.users.countDocuments(inOrg(orgId, filter) as Filter<UserRecord>);
  }

  /** Any user of the organization, recently deleted ones included (side API). */
  async findAny(orgId: string, id: string): Promise<UserRecord | null> {
    return this.users.findOne({ _id: id, orgId } as Filter<UserRecord>);
  }

  /** How many users hold a seat (docs/behaviour.md "Rules", seat rule: invited and active). */
  async countHoldingSeats(orgId: string): Promise<number> {
    return this.users.countDocuments({ orgId, status: { $in: ['invited', 'active'] } } as Filter<UserRecord>);
  }

  /**
   * Writes a restored user over its deleted self if it is still deleted at
   * `expectedVersion`. False when it moved, was restored or purged meanwhile.
   */
  async replaceDeleted(orgId: string, expectedVersion: number, user: UserRecord): Promise<boolean> {
    return this.writes.run(user._id, async () => {
      try {
        const result = await this.users.replaceOne(
          { _id: user._id, orgId, version: expectedVersion, status: 'deleted' } as Filter<UserRecord>,
          this.stored(user),
        );
        return result.matchedCount === 1;
      } catch (err) {
        throw asDuplicateKey(err) ?? err;
      }
    });
  }

  /**
   * How many users hold a seat in each organization, in one aggregation (start-up check of every
   * counter): one pass instead of one count per organization.
   */
  async countHoldingSeatsByOrg(): Promise<Map<string, number>> {
    const rows = await this.users
      .aggregate<{ _id: string; n: number }>([
        { $match: { status: { $in: ['invited', 'active'] } } },
        { $group: { _id: '$orgId', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /**
   * Recently deleted users of every organization deleted at or before `until`, oldest first, after
   * the keyset `after` (deletedAt, _id): the purge reads them in one pass over the status_deletedAt
   * index instead of one query per organization. Only what the purge needs is read.
   */
  async findDeletedAcrossOrgs(
    until: Date,
    after: { deletedAt: Date; _id: string } | undefined,
    limit: number,
  ): Promise<Pick<UserRecord, '_id' | 'orgId' | 'userName' | 'deletedAt'>[]> {
    const filter: Record<string, unknown> = { status: 'deleted', deletedAt: { $lte: until } };
    if (after) {
      filter.$or = [{ deletedAt: { $gt: after.deletedAt } }, { deletedAt: after.deletedAt, _id: { $gt: after._id } }];
    }
    return this.users
      .find(filter as Filter<UserRecord>, { projection: { _id: 1, orgId: 1, userName: 1, deletedAt: 1 } })
      .sort({ deletedAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  /**
   * Removes a deleted user for good, in one delete whose filter carries every
   * condition (`deletedBefore` for retention), so that several processes doing
   * it at once remove it once. True only for the call that removed it.
   */
  async deleteIfDeleted(orgId: string, id: string, deletedBefore?: Date): Promise<boolean> {
    return this.writes.run(id, async () => {
      const filter: Record<string, unknown> = { _id: id, orgId, status: 'deleted' };
      if (deletedBefore) filter.deletedAt = { $lte: deletedBefore };
      const result = await this.users.deleteOne(filter as Filter<UserRecord>);
      return result.deletedCount === 1;
    });
  }

  /** Removes handed-on events from users (see clearEvents below). */
  async clearEvents(docs: EventCarrier[]): Promise<void> {
    await clearEvents(this.users as unknown as Collection<EventCarrier>, this.writes, docs);
  }

  /** Users of every organization that carry events not yet handed on (the relay's recovery sweep). */
  async withPendingEvents(limit: number): Promise<EventCarrier[]> {
    return carriersWithEvents(this.users as unknown as Collection<EventCarrier>, limit);
  }

  async pendingEventsOf(id: string): Promise<EventCarrier | null> {
    return eventsOf(this.users as unknown as Collection<EventCarrier>, id);
  }

  /**
   * Which unique key another user of the organization holds: FerretDB's
   * duplicate-key error on insert does not name the index, so the domain asks.
   */
  async takenKey(orgId: string, id: string, userNameKey: string, emailKey: string): Promise<'userName' | 'email' | undefined> {
    const other = { orgId, _id: { $ne: id } };
    if (await this.users.findOne({ ...other, userNameKey } as Filter<UserRecord>, { projection: { _id: 1 } })) return 'userName';
    if (await this.users.findOne({ ...other, emailKey } as Filter<UserRecord>, { projection: { _id: 1 } })) return 'email';
    return undefined;
  }
}

/** A user or group as the event relay sees it. */
export interface EventCarrier {
  _id: string;
  orgId: string;
  version: number;
  pendingEvents?: ChangeEvent[];
}

/** Documents that carry at least one event (event ids are non-empty strings); index `pendingEvents.id`. */
export const CARRIES_EVENTS = { 'pendingEvents.id': { $gt: '' } } as Filter<EventCarrier>;

const CARRIER_FIELDS = { projection: { _id: 1, orgId: 1, version: 1, pendingEvents: 1 } };

/** Documents of a collection (users or groups) that carry events not yet handed on. */
export function carriersWithEvents(coll: Collection<EventCarrier>, limit: number): Promise<EventCarrier[]> {
  return coll.find(CARRIES_EVENTS, CARRIER_FIELDS).limit(limit).toArray();
}

/** One document's events not yet handed on, with what the relay needs to confirm them. */
export function eventsOf(coll: Collection<EventCarrier>, id: string): Promise<EventCarrier | null> {
  return coll.findOne({ _id: id }, CARRIER_FIELDS);
}

/**
 * Removes handed-on events from documents with \$pullAll of the events exactly as they were read
 * (pulling another document's events is a no-op, so one update serves a batch): atomic per
 * document on MongoDB, and run holding every document's mutex for FerretDB (which applies an
 * update as a read and a write), so an event a concurrent write added is never removed and no
 * field of that write is overwritten. FerretDB 1.x ignores a conditional \$pull, which is why the
 * events are named whole.
 */
export async function clearEvents(coll: Collection<EventCarrier>, mutex: KeyedMutex, docs: EventCarrier[]): Promise<void> {
  for (let i = 0; i < docs.length; i += 100) {
    const chunk = docs.slice(i, i + 100).filter((d) => d.pendingEvents?.length);
    if (!chunk.length) continue;
    const ids = chunk.map((d) => d._id);
    const events = chunk.flatMap((d) => d.pendingEvents ?? []);
    await mutex.runAll(ids, async () => {
      const filter = (ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } }) as Filter<EventCarrier>;
      await coll.updateMany(filter, { $pullAll: { pendingEvents: events } } as Record<string, unknown>);
    });
  }
}
