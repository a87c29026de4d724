import { type SigninThrottleRepository } from '../../store/signin-throttle.repository.js';
import type { Repositories } from '../../store/repositories.js';
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

/** One sign-in attempt on an account: its counter key and the attempt's number in the current window. */
export interface ThrottleTicket {
  orgId: string;
  key: string;
  attempt: number;
}

/**
 * Per-account throttling of password guesses (docs/behaviour.md "Sign-in, sessions and password reset"). The account is the
 * organization and the lower-cased email, whether or not a user has it, so the answers for an
 * unknown address and a known one stay the same. A window starts at the first failure; the
 * `maxFailures`-th failure within `windowMinutes` locks the account for `windowMinutes` from then:
 * every attempt answers 429 with Retry-After without checking the password (no guess counts while
 * locked, and no scrypt work is spent on them). A correct password forgets the failures. Each attempt
 * is counted before its password is checked, so parallel guesses cannot all slip past the limit.
 *
 * Per-account locking lets anyone who knows an address keep that account locked: the price of
 * stopping a guesser who spreads over many addresses and IPs. Roster sees the platform, not the
 * browser, so per-IP limits belong to the platform's login page.
 */
export class SigninThrottle {
  readonly repo: SigninThrottleRepository;
  private readonly lastSweep = new Map<string, number>();

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly settings: ThrottleSettings,
  ) {
    this.repo = repos.signinThrottle;
  }

  /** No address is stored in clear, known or not. */
  private key(orgId: string, emailKey: string): string {
    return `${orgId}:${hashTokenSecret(emailKey)}`;
  }

  private tooMany(until: Date, now: number): never {
    const seconds = Math.max(1, Math.ceil((until.getTime() - now) / 1000));
    throw refuse('too_many_attempts', `too many failed sign-ins for this account; try again in ${seconds} seconds`, {
      'Retry-After': String(seconds),
    });
  }

  /**
   * Before the password is checked: 429 too_many_attempts with Retry-After while the account is
   * locked; otherwise the attempt is counted at once (as a failure until `succeeded` says otherwise),
   * so that attempts running at the same time cannot all pass a check that none has counted yet:
   * the attempts past `maxFailures` in the window answer 429 without their password being checked.
   */
  async begin(orgId: string, emailKey: string): Promise<ThrottleTicket> {
    const key = this.key(orgId, emailKey);
    const record = await this.repo.find(key);
    const now = this.clock.now();
    if (record?.lockedUntil && record.lockedUntil.getTime() > now.getTime()) this.tooMany(record.lockedUntil, now.getTime());
    const windowMs = this.settings.windowMinutes * MINUTE_MS;
    const { record: counted, started } = await this.repo.addFailure(orgId, key, now, new Date(now.getTime() + windowMs));
    if (started) await this.sweep(orgId, now);
    if (counted.failures > this.settings.maxFailures) this.tooMany(counted.lockedUntil ?? counted.expiresAt, now.getTime());
    return { orgId, key, attempt: counted.failures };
  }

  /** A wrong password (already counted by `begin`); true when this failure locked the account. */
  async failed(ticket: ThrottleTicket): Promise<boolean> {
    if (ticket.attempt < this.settings.maxFailures) return false;
    return this.repo.lock(ticket.key, new Date(this.clock.now().getTime() + this.settings.windowMinutes * MINUTE_MS));
  }

  /** A correct password: the failures are forgotten. */
  async succeeded(ticket: ThrottleTicket): Promise<void> {
    await this.repo.reset(ticket.key);
  }

  /** Lazy clean-up of expired counters (FerretDB has no TTL indexes), at most once a minute per organization. */
  private async sweep(orgId: string, now: Date): Promise<void> {
    const last = this.lastSweep.get(orgId) ?? 0;
    if (now.getTime() - last < SWEEP_EVERY_MS) return;
    this.lastSweep.set(orgId, now.getTime());
    await this.repo.removeExpired(orgId, now);
  }
}
