import type { Collection } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';

/** The seat counter of one organization: how many of its users hold a seat (invited or active). */
export interface SeatRecord {
  /** the organization id */
  _id: string;
  used: number;
  lastModified: Date;
}

export interface TakeResult {
  taken: boolean;
  /** the counter after the attempt */
  used: number;
}

/**
 * Seat counters without multi-document transactions: a seat is taken by one
 * conditional atomic update (`{_id, used: {$lt: limit}}` → `$inc: {used: 1}`),
 * so N concurrent takes for M free seats give exactly M successes on MongoDB,
 * DocumentDB and Cosmos DB by the condition itself. FerretDB 1.x evaluates the
 * condition with a read before `UPDATE ... WHERE _id = ?` (keyed-mutex.ts), so
 * every write to a counter is also serialized per organization in-process.
 */
export class SeatRepository {
  private readonly seats: Collection<SeatRecord>;

  /** `writes`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.seats = store.models.Seat.collection as unknown as Collection<SeatRecord>;
  }

  async find(orgId: string): Promise<SeatRecord | null> {
    return this.seats.findOne({ _id: orgId });
  }

  /**
   * Takes one seat when fewer than `limit` are used (any number when `limit` is null).
   * `initial` computes the counter of an organization that has none yet (from its users).
   */
  async take(orgId: string, limit: number | null, initial: () => Promise<number>, now: Date): Promise<TakeResult> {
    return this.writes.run(orgId, async () => {
      await this.createIfAbsent(orgId, initial, now);
      const condition = limit === null ? { _id: orgId } : { _id: orgId, used: { $lt: limit } };
      const result = await this.seats.updateOne(condition, { $inc: { used: 1 }, $set: { lastModified: now } });
      const after = await this.seats.findOne({ _id: orgId });
      return { taken: result.matchedCount === 1, used: after?.used ?? 0 };
    });
  }

  /**
   * Takes up to `wanted` seats at once (a bulk import batch): as many as are free under `limit`, by
   * one conditional update on the counter read under the lock (`used <= limit - taken`, so a
   * concurrent take elsewhere makes it read again). `taken` is how many it took (0 when full).
   */
  async takeUpTo(orgId: string, limit: number | null, wanted: number, initial: () => Promise<number>, now: Date): Promise<{ taken: number; used: number }> {
    return this.writes.run(orgId, async () => {
      await this.createIfAbsent(orgId, initial, now);
      for (;;) {
        const current = (await this.seats.findOne({ _id: orgId }))?.used ?? 0;
        const taken = limit === null ? wanted : Math.max(0, Math.min(wanted, limit - current));
        if (taken === 0) return { taken: 0, used: current };
        const condition = limit === null ? { _id: orgId } : { _id: orgId, used: { $lte: limit - taken } };
        const result = await this.seats.updateOne(condition, { $inc: { used: taken }, $set: { lastModified: now } });
        if (result.matchedCount === 1) return { taken, used: current + taken };
      }
    });
  }

  /** Gives `count` seats back at once; never below zero. */
  async giveMany(orgId: string, count: number, now: Date): Promise<void> {
    if (count <= 0) return;
    await this.writes.run(orgId, async () => {
      const current = (await this.seats.findOne({ _id: orgId }))?.used ?? 0;
      const back = Math.min(count, current);
      if (back > 0) await this.seats.updateOne({ _id: orgId, used: { $gte: back } }, { $inc: { used: -back }, $set: { lastModified: now } });
    });
  }

  /** Gives one seat back; never below zero. */
  async give(orgId: string, now: Date): Promise<void> {
    await this.writes.run(orgId, async () => {
      await this.seats.updateOne({ _id: orgId, used: { $gt: 0 } }, { $inc: { used: -1 }, $set: { lastModified: now } });
    });
  }

  /**
   * Sets the counter to what `compute` finds, serialized with takes and gives
   * in this process. Returns the counter before (null when there was none) and after.
   */
  async reset(orgId: string, compute: () => Promise<number>, now: Date): Promise<{ before: number | null; used: number }> {
    return this.writes.run(orgId, async () => {
      const before = await this.seats.findOne({ _id: orgId });
      const used = await compute();
      await this.seats.updateOne({ _id: orgId }, { $set: { used, lastModified: now } }, { upsert: true });
      return { before: before?.used ?? null, used };
    });
  }

  /** The counters of these organizations, read by _id; an organization without one is absent. */
  async usedOf(orgIds: string[]): Promise<Map<string, number>> {
    const docs = await this.seats.find({ _id: { $in: orgIds } }, { projection: { used: 1 } }).toArray();
    return new Map(docs.map((d) => [d._id, d.used]));
  }

  async remove(orgId: string): Promise<void> {
    await this.writes.run(orgId, async () => {
      await this.seats.deleteOne({ _id: orgId });
    });
  }

  private async createIfAbsent(orgId: string, initial: () => Promise<number>, now: Date): Promise<void> {
    if (await this.seats.findOne({ _id: orgId })) return;
    const used = await initial();
    try {
      await this.seats.insertOne({ _id: orgId, used, lastModified: now });
    } catch (err) {
      // Another process created it first: its value stands.
      if (!asDuplicateKey(err)) throw err;
    }
  }
}
