import type { Store } from '../../store/connection.js';
import { SigninThrottleRepository } from '../../store/signin-throttle.repository.js';
import type { Clock } from '../context.js';
import { hashTokenSecret } from '../secrets.js';
import { refuse } from './signin-refusal.js';

const MINUTE_MS = 60 * 1000;
/** Expired counters of an organization are swept at most this often per process. */
const SWEEP_EVERY_MS = MINUTE_MS;

export interface ThrottleSettings {
  maxFailures: number;
  windowMinutes: number;
}

/** What `check` learned, for `succeeded`: the account's counter key and whether it has failures to forget. */
export interface ThrottleTicket {
  key: string;
  hasFailures: boolean;
}

/**
 * Per-account throttling of password guesses (PRODUCT.md "Side API"). The account is the
 * organization and the lower-cased email, whether or not a user has it, so the answers for an
 * unknown address and a known one stay the same. A window starts at the first failure; the
 * `maxFailures`-th failure within `windowMinutes` locks the account for `windowMinutes` from then:
 * every attempt answers 429 with Retry-After without checking the password (no guess counts while
 * locked, and no scrypt work is spent on them). A correct password forgets the failures.
 *
 * Per-account locking lets anyone who knows an address keep that account locked: the price of
 * stopping a guesser who spreads over many addresses and IPs. Roster sees the platform, not the
 * browser, so per-IP limits belong to the platform's login page.
 */
export class SigninThrottle {
  readonly repo: SigninThrottleRepository;
  private readonly lastSweep = new Map<string, number>();

  constructor(
    store: Store,
    private readonly clock: Clock,
    private readonly settings: ThrottleSettings,
  ) {
    this.repo = new SigninThrottleRepository(store);
  }

  /** No address is stored in clear, known or not. */
  private key(orgId: string, emailKey: string): string {
    return `${orgId}:${hashTokenSecret(emailKey)}`;
  }

  /** 429 too_many_attempts with Retry-After while the account is locked. */
  async check(orgId: string, emailKey: string): Promise<ThrottleTicket> {
    const key = this.key(orgId, emailKey);
    const record = await this.repo.find(key);
    const now = this.clock.now().getTime();
    if (record?.lockedUntil && record.lockedUntil.getTime() > now) {
      const seconds = Math.max(1, Math.ceil((record.lockedUntil.getTime() - now) / 1000));
      throw refuse(
        'too_many_attempts',
        `too many failed sign-ins for this account; try again in ${seconds} seconds`,
        { 'Retry-After': String(seconds) },
      );
    }
    return { key, hasFailures: record !== null && record.expiresAt.getTime() > now };
  }

  /** Counts a failure; true when this failure locked the account. */
  async failed(orgId: string, emailKey: string): Promise<boolean> {
    const key = this.key(orgId, emailKey);
    const now = this.clock.now();
    const windowMs = this.settings.windowMinutes * MINUTE_MS;
    const { record, started } = await this.repo.addFailure(orgId, key, now, new Date(now.getTime() + windowMs));
    if (started) await this.sweep(orgId, now);
    if (record.failures < this.settings.maxFailures || record.lockedUntil) return false;
    return this.repo.lock(key, new Date(now.getTime() + windowMs));
  }

  /** A correct password: the failures are forgotten (one write only when there were any). */
  async succeeded(ticket: ThrottleTicket): Promise<void> {
    if (ticket.hasFailures) await this.repo.reset(ticket.key);
  }

  /** Lazy clean-up of expired counters (FerretDB has no TTL indexes), at most once a minute per organization. */
  private async sweep(orgId: string, now: Date): Promise<void> {
    const last = this.lastSweep.get(orgId) ?? 0;
    if (now.getTime() - last < SWEEP_EVERY_MS) return;
    this.lastSweep.set(orgId, now.getTime());
    await this.repo.removeExpired(orgId, now);
  }
}
