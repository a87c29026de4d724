import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';

/** Failed sign-ins of one account (orgId + lower-cased email) in the current window. */
export interface SigninThrottleRecord {
  /** "<orgId>:<SHA-256 of the lower-cased email>" */
  _id: string;
  orgId: string;
  failures: number;
  windowStart: Date;
  lockedUntil?: Date;
  /** When the record is worth nothing: the window's end, or `lockedUntil` once locked. */
  expiresAt: Date;
}

/** How often a failure is tried again when another process created or reset the counter in between. */
const MAX_ATTEMPTS = 4;

/**
 * The counters live in the database, so they hold across processes and restarts. Each step is an
 * atomic single-document operation on MongoDB ($inc, an upsert whose duplicate key means "someone
 * else started the window"), and runs under a per-key KeyedMutex for FerretDB 1.x, which applies
 * update filters non-atomically (keyed-mutex.ts).
 */
export class SigninThrottleRepository {
  private readonly counters: Collection<SigninThrottleRecord>;

  /** `writes`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.counters = store.models.SigninThrottle.collection as unknown as Collection<SigninThrottleRecord>;
  }

  async find(id: string): Promise<SigninThrottleRecord | null> {
    return this.counters.findOne({ _id: id });
  }

  /**
   * Counts one failure: in the current window when it has not expired, else in a new window that
   * starts now. Returns the counter after the failure, and whether this call started a new window.
   */
  async addFailure(orgId: string, id: string, now: Date, windowEnd: Date): Promise<{ record: SigninThrottleRecord; started: boolean }> {
    return this.writes.run(id, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const counted = await this.counters.findOneAndUpdate(
          { _id: id, expiresAt: { $gt: now } } as Filter<SigninThrottleRecord>,
          { $inc: { failures: 1 } },
          { returnDocument: 'after' },
        );
        if (counted) return { record: counted, started: false };
        const fresh: SigninThrottleRecord = { _id: id, orgId, failures: 1, windowStart: now, expiresAt: windowEnd };
        try {
          // Replaces an expired counter, or inserts; a live one (another process) is a duplicate key: count in it.
          await this.counters.replaceOne({ _id: id, expiresAt: { $lte: now } } as Filter<SigninThrottleRecord>, fresh, { upsert: true });
          return { record: fresh, started: true };
        } catch (err) {
          if (!asDuplicateKey(err)) throw err;
        }
      }
      throw new Error(`sign-in throttle ${id}: the counter kept changing under concurrent writes`);
    });
  }

  /** Locks the account until `until`, unless it is locked already; true for the call that locked it. */
  async lock(id: string, until: Date): Promise<boolean> {
    return this.writes.run(id, async () => {
      const result = await this.counters.updateOne(
        { _id: id, lockedUntil: { $exists: false } } as Filter<SigninThrottleRecord>,
        { $set: { lockedUntil: until, expiresAt: until } },
      );
      return result.matchedCount === 1;
    });
  }

  /** Forgets the account's failures (a correct password). */
  async reset(id: string): Promise<void> {
    await this.writes.run(id, async () => {
      await this.counters.deleteOne({ _id: id });
    });
  }

  /** Removes the organization's expired counters (lazy clean-up: no TTL index on FerretDB). */
  async removeExpired(orgId: string, now: Date): Promise<number> {
    const result = await this.counters.deleteMany({ orgId, expiresAt: { $lte: now } } as Filter<SigninThrottleRecord>);
    return result.deletedCount;
  }
}
