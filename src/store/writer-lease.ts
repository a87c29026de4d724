import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Store } from './connection.js';

/**
 * One writer per database on FerretDB 1.x (README "Several processes"). FerretDB 1.x does not apply
 * an update's filter atomically, so Roster serializes conditional writes in-process (KeyedMutex);
 * a second process on the same database would race the first and could corrupt counters and
 * uniqueness. The lease is a document `{_id: 'writer'}` in `roster_leases` that the serving
 * process holds and renews; another process that finds it live refuses to start. MongoDB and the
 * engines that apply filters atomically need no lease (StoreCapabilities.atomicConditionalUpdates).
 */

interface LeaseDocument {
  _id: string;
  owner: string;
  host: string;
  pid: number;
  since: Date;
  until: Date;
}

export class WriterLeaseHeld extends Error {
  override name = 'WriterLeaseHeld';
}

export interface WriterLeaseOptions {
  /** How long a lease lasts without renewal; a crashed holder blocks a new start at most this long. */
  ttlMs?: number;
  /** How often the holder renews (a third of ttlMs by default). */
  renewMs?: number;
  /** Called when a renewal finds the lease taken (the process must stop writing). */
  onLost?: (reason: string) => void;
  now?: () => Date;
}

const LEASE_ID = 'writer';

export class WriterLease {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly leases: Collection<LeaseDocument>,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {}

  /** Takes the lease or throws WriterLeaseHeld naming the holder. */
  static async acquire(store: Store, options: WriterLeaseOptions = {}): Promise<WriterLease> {
    const db = store.connection.db;
    if (!db) throw new Error('the database connection is not open');
    const leases = db.collection<LeaseDocument>('roster_leases') as unknown as Collection<LeaseDocument>;
    const ttlMs = options.ttlMs ?? 30_000;
    const now = options.now ?? (() => new Date());
    const lease = new WriterLease(leases, `${hostname()}:${process.pid}:${randomUUID()}`, ttlMs, now);
    await lease.take();
    lease.startRenewing(options.renewMs ?? Math.floor(ttlMs / 3), options.onLost);
    return lease;
  }

  private document(): LeaseDocument {
    const at = this.now();
    return { _id: LEASE_ID, owner: this.owner, host: hostname(), pid: process.pid, since: at, until: new Date(at.getTime() + this.ttlMs) };
  }

  private async take(): Promise<void> {
    try {
      await this.leases.insertOne(this.document());
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const held = await this.leases.findOne({ _id: LEASE_ID });
    if (held && held.until.getTime() > this.now().getTime() && !holderIsGone(held)) {
      throw new WriterLeaseHeld(
        `another Roster process serves this database (pid ${held.pid} on ${held.host}, lease until ${held.until.toISOString()}). ` +
          'On FerretDB 1.x only one Roster process may serve a database, because FerretDB 1.x does not apply an update\'s ' +
          'filter atomically. Stop the other process (or wait for its lease to run out), or use MongoDB to run several.',
      );
    }
    // Expired, or its process is certainly gone: take it over, then read back who won.
    await this.leases.replaceOne({ _id: LEASE_ID, owner: held?.owner ?? this.owner }, this.document(), { upsert: true });
    const mine = await this.leases.findOne({ _id: LEASE_ID });
    if (mine?.owner !== this.owner) throw new WriterLeaseHeld('another Roster process took over this database\'s writer lease at the same moment');
  }

  private startRenewing(renewMs: number, onLost?: (reason: string) => void): void {
    this.timer = setInterval(() => {
      this.renew().then(
        (held) => {
          if (!held) {
            this.stopRenewing();
            onLost?.('the writer lease was taken by another process');
          }
        },
        () => undefined, // A failed renewal is retried at the next tick; the lease lasts three ticks.
      );
    }, renewMs);
    this.timer.unref();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Extends the lease; false when another process holds it now. */
  async renew(): Promise<boolean> {
    const until = new Date(this.now().getTime() + this.ttlMs);
    const result = await this.leases.updateOne({ _id: LEASE_ID, owner: this.owner }, { $set: { until } });
    return result.matchedCount === 1;
  }

  /** Stops renewing and gives the lease back, so the next start need not wait for it to run out. */
  async release(): Promise<void> {
    this.stopRenewing();
    await this.leases.deleteOne({ _id: LEASE_ID, owner: this.owner });
  }
}

/** The holder ran on this host and its pid is gone (a kill -9 or a crash): no need to wait for the lease. */
function holderIsGone(held: LeaseDocument): boolean {
  if (held.host !== hostname() || held.pid === process.pid) return false;
  try {
    process.kill(held.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
