import { ScimError } from '../scim/errors.js';
import type { Repositories } from '../store/repositories.js';
import type { SeatRepository } from '../store/seat.repository.js';
import type { UserRepository, UserStatus } from '../store/user.repository.js';
import type { Clock } from './context.js';

/** docs/behaviour.md "Rules" (seat rule): invited and active users hold a seat; suspended and deleted ones hold none. */
export function holdsSeat(status: UserStatus | undefined): boolean {
  return status === 'invited' || status === 'active';
}

export interface SeatUsage {
  used: number;
  limit: number | null;
}

/** A seat taken for a user write that has not finished yet: keep it when the write lands, give it back when not. */
export interface SeatHold {
  keep(): void;
  giveBack(): Promise<void>;
}

/**
 * Seat accounting. A write that gives a user a seat takes one first (the
 * conditional counter update decides, exactly, under concurrency), then writes
 * the user, then keeps the seat or gives it back. A crash in between can only
 * leave the counter too high (fewer seats offered, never more than the limit);
 * `recount` repairs it from the users collection.
 */
export class SeatService {
  readonly repo: SeatRepository;
  private readonly users: UserRepository;
  /** Seats taken in this process whose user write has not finished: a recount must not hand them out again. */
  private readonly pending = new Map<string, number>();

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
  ) {
    this.repo = repos.seats;
    this.users = repos.users;
  }

  /** Takes a seat or throws 403 "seat limit reached: U of L seats in use". */
  async take(orgId: string, limit: number | null): Promise<SeatHold> {
    const result = await this.repo.take(orgId, limit, () => this.users.countHoldingSeats(orgId), this.clock.now());
    if (!result.taken) {
      const refused = new ScimError(403, `seat limit reached: ${result.used} of ${limit ?? 'unlimited'} seats in use`);
      refused.rule = 'seat';
      throw refused;
    }
    this.pending.set(orgId, (this.pending.get(orgId) ?? 0) + 1);
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      const left = (this.pending.get(orgId) ?? 1) - 1;
      if (left > 0) this.pending.set(orgId, left);
      else this.pending.delete(orgId);
      return true;
    };
    return {
      keep: () => void settle(),
      giveBack: async () => {
        if (settle()) await this.repo.give(orgId, this.clock.now());
      },
    };
  }

  /**
   * Takes up to `wanted` seats for a batch of user writes (bulk import); `hold.count` is how many,
   * 0 when the organization is full. Give back the ones no user got with `giveBack(n)`; the rest are kept.
   */
  async takeUpTo(orgId: string, limit: number | null, wanted: number): Promise<{ count: number; used: number; giveBack(n: number): Promise<void> }> {
    const result = await this.repo.takeUpTo(orgId, limit, wanted, () => this.users.countHoldingSeats(orgId), this.clock.now());
    let pending = result.taken;
    this.pending.set(orgId, (this.pending.get(orgId) ?? 0) + pending);
    return {
      count: result.taken,
      used: result.used,
      giveBack: async (n: number) => {
        // The whole hold is settled: the given-back seats return to the counter, the others are kept.
        const left = (this.pending.get(orgId) ?? pending) - pending;
        if (left > 0) this.pending.set(orgId, left);
        else this.pending.delete(orgId);
        pending = 0;
        await this.repo.giveMany(orgId, n, this.clock.now());
      },
    };
  }

  /** Gives back the seat of a user that no longer holds one (suspended or deleted). */
  async release(orgId: string): Promise<void> {
    await this.repo.give(orgId, this.clock.now());
  }

  async usage(orgId: string, limit: number | null): Promise<SeatUsage> {
    const record = await this.repo.find(orgId);
    const used = record ? record.used : await this.users.countHoldingSeats(orgId);
    return { used, limit };
  }

  /**
   * Recomputes the counter from the users collection (status invited or
   * active) and writes it. Returns the counter before (null when there was
   * none) and after.
   */
  async recount(orgId: string): Promise<{ before: number | null; used: number }> {
    return this.repo.reset(
      orgId,
      async () => (await this.users.countHoldingSeats(orgId)) + (this.pending.get(orgId) ?? 0),
      this.clock.now(),
    );
  }
}
