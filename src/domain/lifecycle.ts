import type { Logger } from 'pino';
import { systemClock, type Clock } from './context.js';
import type { UserService } from './users/user.service.js';

/** How often retention expiry runs by default: purges are at most this late. */
export const DEFAULT_PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface PurgeScheduler {
  /** Stops the timer; a pass already running finishes. */
  stop(): void;
  /** Runs one pass now (skipped when one is running). Resolves to how many users it purged. */
  runOnce(): Promise<number>;
}

/**
 * Runs `users.purgeExpired(clock.now())` every `intervalMs` (and once right
 * away). The timer is unref'd, so it never keeps the process alive, and passes
 * never overlap. Several processes may each run one: a user is purged once.
 */
export function startPurgeScheduler(
  users: UserService,
  options: { clock?: Clock; intervalMs?: number; logger?: Logger } = {},
): PurgeScheduler {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
  let running: Promise<number> | undefined;
  const runOnce = (): Promise<number> => {
    if (running) return Promise.resolve(0);
    running = users
      .purgeExpired(clock.now())
      .then((purged) => {
        if (purged > 0) options.logger?.info({ purged }, 'retention: purged expired users');
        return purged;
      })
      .catch((err: unknown) => {
        options.logger?.error({ err }, 'retention: purge pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  void runOnce();
  return { stop: () => clearInterval(timer), runOnce };
}

/**
 * Repairs every organization's seat counter from its users (a crash between a
 * seat change and the user write it belonged to can leave one too high).
 * main.ts runs it once at start, before listening.
 */
export async function recountAllSeats(users: UserService, logger?: Logger): Promise<void> {
  const organizations = await users.recountAllSeats();
  logger?.info({ organizations }, 'seat counters recounted');
}
