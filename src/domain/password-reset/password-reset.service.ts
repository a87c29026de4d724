import { z } from 'zod';
import type { Repositories } from '../../store/repositories.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationRepository } from '../../store/organization.repository.js';
import { type PasswordResetRepository, type PasswordResetRecord } from '../../store/password-reset.repository.js';
import { type SessionUsersRepository } from '../../store/session-users.repository.js';
import type { UserRecord } from '../../store/user.repository.js';
import type { AuditAction, AuditChange } from '../../store/audit.repository.js';
import { ScimError } from '../../scim/errors.js';
import type { Actor, Clock, RequestContext } from '../context.js';
import type { Delivery, Mailer } from '../invitations/mailer.js';
import { hashTokenSecret, newSecret } from '../secrets.js';
import { redeemLink } from '../one-time-link.js';
import { newPassword } from '../sessions/session.service.js';
import type { UserService } from '../users/user.service.js';

const HOUR_MS = 60 * 60 * 1000;
/** Used, replaced and expired links are kept this long after expiry so they answer 410, not 400. */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * HOUR_MS;
/** From the login page, at most one message per account this often: the form must not become a mail bomb. */
const SELF_SERVICE_COOLDOWN_MS = 60 * 1000;

export const resetRequestInput = z.object({ email: z.string().trim().min(1).max(256) }).strict();
export const resetCompleteInput = z.object({ token: z.string().min(1).max(200), password: newPassword }).strict();

export interface PasswordResetSent {
  userId: string;
  email: string;
  expiresAt: string;
  delivery: Delivery;
}

/** Who completes a reset: the user, known only by the link. */
const LINK_HOLDER: Actor = { type: 'system', id: 'password-reset', name: 'user (password reset link)' };

/** The address a link goes to: the sign-in email as the user spelled it. */
function addressOf(user: UserRecord): string | undefined {
  if (user.emailKey.startsWith('~')) return undefined;
  const stored = user.emails?.find((e) => e.valueKey === user.emailKey)?.value;
  return stored ?? (user.userName.toLowerCase() === user.emailKey ? user.userName : user.emailKey);
}

/**
 * Password reset by email link (docs/behaviour.md "Sign-in, sessions and password reset"): requested by an administrator
 * for a user, or by the user from the login page (through the platform, scope `signin`); completed
 * on a public route with the link's token. Only the link's SHA-256 is stored; the secret appears in
 * the message alone. A new link replaces the previous one; a link works once, until it expires.
 *
 * Only `active` users get a link: an invited user has no password yet and uses the invitation
 * (409), and a suspended user could not sign in with the new password anyway, so the administrator
 * activates first (409). A suspension, deletion or any password change cancels the live link
 * (onAccessEnded), and completing re-checks that the user is still active.
 */
export class PasswordResetService {
  private readonly organizations: OrganizationRepository;
  readonly repo: PasswordResetRepository;
  private readonly accounts: SessionUsersRepository;

  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly settings: { ttlHours: number },
  ) {
    this.repo = repos.passwordResets;
    this.accounts = repos.sessionUsers;
    this.organizations = repos.organizations;
    // Not under exclusive(userId): completing a reset runs this listener inside its own exclusive
    // section (KeyedMutex is not re-entrant); an updateMany by state is harmless to interleave.
    users.onAccessEnded(async (orgId, userId) => {
      await this.repo.endLive(orgId, userId, 'cancelled', this.clock.now());
    });
  }

  /** An administrator sends a reset link: 404 unknown user, 409 unless active or without an address. */
  async request(ctx: RequestContext, userId: string, linkBase: string): Promise<PasswordResetSent> {
    const user = await this.users.get(ctx, userId);
    if (user.status === 'invited') {
      throw new ScimError(409, `User ${userId} is invited and has no password yet: resend the invitation instead`);
    }
    if (user.status !== 'active') {
      throw new ScimError(409, `User ${userId} is ${user.status}: activate the user before resetting the password`);
    }
    return this.issue(ctx, user, 'admin', linkBase);
  }

  /**
   * The user asks from the login page. The answer never tells whether the address is an active
   * account: nothing is sent for an unknown, invited, suspended or deleted one, nor again within a
   * minute of the last link.
   */
  /**
   * requestBySelf, run after the answer: the 202 then takes the same time whether or not the address
   * is an active account (awaiting the lookups and the SMTP delivery told them apart). `onError`
   * receives a failure, which nobody is waiting for.
   */
  requestBySelfInBackground(ctx: RequestContext, email: string, linkBase: string, onError: (err: unknown) => void): void {
    const run: Promise<void> = this.requestBySelf(ctx, email, linkBase)
      .catch(onError)
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Resolves when every background request started so far has ended (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async requestBySelf(ctx: RequestContext, email: string, linkBase: string): Promise<void> {
    const user = await this.accounts.findLive(ctx.orgId, email.toLowerCase());
    if (!user || user.status !== 'active') return;
    const live = await this.repo.findLive(ctx.orgId, user._id);
    const now = this.clock.now().getTime();
    if (live && live.expiresAt.getTime() > now && now - live.created.getTime() < SELF_SERVICE_COOLDOWN_MS) return;
    await this.issue(ctx, user, 'self', linkBase);
  }

  /**
   * Public: sets the password with the link's token. 400 for a link Roster never issued (or one
   * long expired and swept); 410 for one used, replaced, cancelled or expired, or whose user is no
   * longer active. The password goes through UserService.applyChange, so mustChangePassword is
   * cleared, the change is audited and every session of the user ends (onAccessEnded).
   */
  async complete(token: string, password: string, requestId: string, scimBaseUrl: string): Promise<{ userId: string }> {
    const links = {
      findByHash: (hash: string) => this.repo.findByHash(hash),
      exclusive: <T>(userId: string, work: () => Promise<T>) => this.repo.exclusive(userId, work),
      invalid: 'this password reset link is not valid',
      ended: {
        used: 'this password reset link was already used',
        replaced: 'this password reset link was replaced by a newer one',
        cancelled: 'this password reset link was cancelled (the user was suspended or deleted, or the password changed)',
      },
      expired: (at: Date) => `this password reset link expired at ${at.toISOString()}`,
    };
    return redeemLink(links, token, password, () => this.clock.now(), async (link, hash, passwordHash, now) => {
      const ctx: RequestContext = { orgId: link.orgId, actor: LINK_HOLDER, requestId, scimBaseUrl };
      try {
        await this.users.applyChange(ctx, link.userId, (current) => {
          if (current.status !== 'active') throw new ScimError(410, `token: this password reset link is no longer valid: the user is ${current.status}`);
          // Access ended after the link was sent (and came back since): the link died with it, even
          // if the listener that cancels links did not run.
          if (current.accessEnded && link.created.getTime() < current.accessEnded.at.getTime()) {
            throw new ScimError(410, `token: this password reset link was cancelled (the user was ${current.accessEnded.reason.replace('_', ' ')} after it was sent)`);
          }
          return { passwordHash, mustChangePassword: undefined };
        });
      } catch (err) {
        if (err instanceof ScimError && err.status === 404) throw new ScimError(410, 'token: this password reset link is no longer valid: the user was deleted');
        throw err;
      }
      await this.repo.end(hash, 'used', now);
      await this.record(ctx, 'password_reset.completed', link, [{ path: 'state', old: 'live', new: 'used' }]);
      return { userId: link.userId };
    });
  }

  private async issue(ctx: RequestContext, user: UserRecord, requestedBy: 'admin' | 'self', linkBase: string): Promise<PasswordResetSent> {
    const email = addressOf(user);
    if (!email) throw new ScimError(409, `User ${user._id} has no email address to send a reset link to`);
    const org = await this.organizations.findById(ctx.orgId);
    const now = this.clock.now();
    const secret = newSecret();
    const link: PasswordResetRecord = {
      _id: hashTokenSecret(secret),
      orgId: ctx.orgId,
      userId: user._id,
      email,
      state: 'live',
      requestedBy,
      created: now,
      expiresAt: new Date(now.getTime() + this.settings.ttlHours * HOUR_MS),
    };
    await this.repo.exclusive(user._id, async () => {
      await this.repo.endLive(ctx.orgId, user._id, 'replaced', now);
      await this.repo.removeExpired(ctx.orgId, user._id, new Date(now.getTime() - KEEP_AFTER_EXPIRY_MS));
      await this.repo.insert(link);
    });
    const delivery = await this.deliver(ctx.orgId, email, secret, linkBase, org?.name ?? 'Roster', link.expiresAt);
    await this.record(ctx, 'password_reset.requested', link, [
      { path: 'requestedBy', old: null, new: requestedBy },
      { path: 'delivery', old: null, new: delivery.channel },
    ]);
    return { userId: user._id, email, expiresAt: link.expiresAt.toISOString(), delivery };
  }

  private async deliver(orgId: string, to: string, secret: string, linkBase: string, orgName: string, expiresAt: Date): Promise<Delivery> {
    const link = `${linkBase}/reset-password?token=${encodeURIComponent(secret)}`;
    return this.mailer.send({
      orgId,
      kind: 'password_reset',
      to,
      subject: `Reset your ${orgName} password`,
      text:
        `A password reset was requested for your ${orgName} account.\n\n` +
        `Set a new password (the link works once, until ${expiresAt.toISOString()}):\n${link}\n\n` +
        `If you did not ask for this, ignore this message: your password stays as it is.\n`,
      link,
    });
  }

  private async record(ctx: RequestContext, action: AuditAction, link: PasswordResetRecord, changes: AuditChange[]): Promise<void> {
    await this.audit.recordFor(ctx, this.clock.now(), action, { type: 'User', id: link.userId, userName: link.email }, changes);
  }
}
