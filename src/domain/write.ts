import { DuplicateKeyError } from '../store/errors.js';
import { ScimError, conflict } from '../scim/errors.js';

/** How often a versioned write is tried when other requests changed the same record in between. */
export const MAX_WRITE_ATTEMPTS = 8;

/** Returned by one attempt of a versioned write whose expected version was no longer current. */
export const RETRY = Symbol('retry');

/**
 * Optimistic concurrency for every versioned write (docs/behaviour.md "Concurrent writes"): runs
 * `attempt` until it lands (anything but RETRY) or MAX_WRITE_ATTEMPTS have lost the race, then 409.
 * `subject` names the record in the error, e.g. `User 42`.
 */
export async function retryOnConflict<T>(subject: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
  for (let i = 0; i < MAX_WRITE_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== RETRY) return result;
  }
  throw new ScimError(409, `${subject} is being changed by other requests; try again`);
}

/** What a unique-index clash was about, so that its 409 names the value that clashed. */
export type Clash =
  | { resource: 'User'; userName: string; email: string | undefined; taken: () => Promise<'userName' | 'email' | undefined> }
  | { resource: 'Group'; displayName: string; roleKey?: string | undefined };

/**
 * The one mapping of a unique-index clash (store/errors.ts DuplicateKeyError) to 409 uniqueness
 * (RFC 7644 3.12). Anything else is returned as it is.
 */
export async function uniquenessError(err: unknown, clash: Clash): Promise<unknown> {
  if (!(err instanceof DuplicateKeyError)) return err;
  if (clash.resource === 'Group') {
    // The role index: another request bound the role to another group in between.
    if (clash.roleKey !== undefined && err.index.includes('role')) {
      return new ScimError(409, `role "${clash.roleKey}" was bound to another group meanwhile; try again`);
    }
    return conflict(`displayName "${clash.displayName}" is already taken by another group in this organization`);
  }
  const named = err.index.includes('email') ? 'email' : err.index.includes('userName') ? 'userName' : undefined;
  const key = named ?? (await clash.taken());
  if (key === 'email') {
    return conflict(`the sign-in email "${clash.email ?? clash.userName}" is already used by another user in this organization`);
  }
  return conflict(`userName "${clash.userName}" is already taken in this organization`);
}
