import { badRequest, ScimError } from '../scim/errors.js';
import { hashPassword, hashTokenSecret } from './secrets.js';

/** A stored one-time link (invitation or password reset): its secret is kept only as a SHA-256. */
export interface StoredLink {
  orgId: string;
  userId: string;
  state: string;
  expiresAt: Date;
}

/** How the links of one kind are read and serialized, and how their refusals read. */
export interface LinkStore<L extends StoredLink> {
  findByHash(hash: string): Promise<L | null>;
  /** Runs `work` alone among the changes to this user's links (the repositories' KeyedMutex). */
  exclusive<T>(userId: string, work: () => Promise<T>): Promise<T>;
  /** 400 detail for a token Roster never issued, e.g. "this invitation link is not valid" */
  invalid: string;
  /** 410 detail for each ended state (used, replaced, cancelled) */
  ended: Record<string, string>;
  /** 410 detail for an expired link, given its expiry */
  expired: (at: Date) => string;
}

/**
 * Redeems a one-time link with a new password: 400 for a token Roster never issued, 410 for a link
 * that ended or expired (read again under the user's lock, so two redemptions cannot both pass);
 * then `redeem` runs under that lock with the password's hash. scrypt runs before the lock is
 * taken, so a slow hash holds up no other link of the user.
 */
export async function redeemLink<L extends StoredLink, T>(
  store: LinkStore<L>,
  token: string,
  password: string,
  now: () => Date,
  redeem: (link: L, hash: string, passwordHash: string, at: Date) => Promise<T>,
): Promise<T> {
  const hash = hashTokenSecret(token);
  const found = await store.findByHash(hash);
  if (!found) throw badRequest('invalidValue', `token: ${store.invalid}`);
  const passwordHash = await hashPassword(password);
  return store.exclusive(found.userId, async () => {
    const link = (await store.findByHash(hash)) ?? found;
    const at = now();
    const ended = store.ended[link.state];
    if (ended !== undefined) throw new ScimError(410, `token: ${ended}`);
    if (link.expiresAt.getTime() <= at.getTime()) throw new ScimError(410, `token: ${store.expired(link.expiresAt)}`);
    return redeem(link, hash, passwordHash, at);
  });
}
