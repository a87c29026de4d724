import { randomBytes } from 'node:crypto';
import type { Repositories } from '../../store/repositories.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UserRepository } from '../../store/user.repository.js';
import { z } from 'zod';
import type { AuditAction, AuditChange } from '../../store/audit.repository.js';
import { type SessionRepository, type SessionEndReason, type SessionRecord, type SessionSummary } from '../../store/session.repository.js';
import { type SessionUsersRepository } from '../../store/session-users.repository.js';
import type { UserRecord, UserStatus } from '../../store/user.repository.js';
import { badRequest, notFound, ScimError } from '../../scim/errors.js';
import type { Actor, Clock, RequestContext } from '../context.js';
import type { RoleValue } from '../groups/roles.js';
import { hashPassword, hashTokenSecret, needsRehash, newSecret, sameHash, verifyPassword } from '../secrets.js';
import { signInEmail } from '../users/user.mapper.js';
import { SYSTEM_ACTOR, type UserService } from '../users/user.service.js';
import { refuse, type SigninReason } from './signin-refusal.js';
import { SigninThrottle, type ThrottleSettings } from './signin-throttle.js';

const HOUR_MS = 60 * 60 * 1000;
/** Session tokens read `rss.<session id>.<secret>`, apart from API tokens (`rst.`). */
const SESSION_PREFIX = 'rss';
/** Ended and expired sessions are kept this long after `expiresAt`, so a check says why, then swept. */
const KEEP_AFTER_EXPIRY_MS = 24 * HOUR_MS;
/** `lastUsedAt` is written at most this often per session: a check per page view must not be a write per page view. */
const TOUCH_EVERY_MS = 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

/** The password policy of every path that sets one (as invitation accept): 8 to 1024 characters. */
export const newPassword = z.string().min(8, 'must be at least 8 characters').max(1024);
/** Lenient on purpose: anything that is no user's sign-in email is simply invalid_credentials. */
const email = z.string().trim().min(1).max(256);
/** Bounded so that a huge body cannot make scrypt hash megabytes. */
const givenPassword = z.string().min(1).max(1024);

export const signinInput = z.object({ email, password: givenPassword }).strict();
export type SigninInput = z.infer<typeof signinInput>;

export const passwordChangeInput = z.object({ email, currentPassword: givenPassword, newPassword }).strict();
export type PasswordChangeInput = z.infer<typeof passwordChangeInput>;

export const sessionTokenInput = z.object({ token: z.string().min(1).max(200) }).strict();

export interface SessionSettings {
  ttlHours: number;
  throttle: ThrottleSettings;
}

export interface SessionView {
  id: string;
  userId: string;
  created: string;
  lastUsedAt?: string;
  expiresAt: string;
}

export interface SessionUserView {
  id: string;
  userName: string;
  status: UserStatus;
  /** Effective roles (direct and granted by bound groups), as on SCIM. */
  roles: RoleValue[];
}

export interface IssuedSession extends SessionView {
  /** The session token: shown once, stored only as SHA-256. */
  token: string;
  user: SessionUserView;
}

export interface SessionCheck {
  session: SessionView;
  user: SessionUserView;
}

function toView(s: SessionSummary): SessionView {
  return {
    id: s._id,
    userId: s.userId,
    created: s.created.toISOString(),
    ...(s.lastUsedAt ? { lastUsedAt: s.lastUsedAt.toISOString() } : {}),
    expiresAt: s.expiresAt.toISOString(),
  };
}

/** Binds a session to the password it was opened with, without copying the (crackable) hash itself. */
function passwordStamp(passwordHash: string | undefined): string {
  return passwordHash ? hashTokenSecret(passwordHash) : '';
}

/**
 * Why a session may no longer be used although nothing ended it, judged from the user as it is
 * now: gone or deleted, suspended, or a password other than the one the session was opened with
 * (changed, reset, or a new temporary one). Checked on every use, so a session a failed
 * onAccessEnded listener left open is refused all the same.
 */
function staleReason(session: SessionRecord, user: UserRecord | null): Extract<SessionEndReason, 'deleted' | 'suspended' | 'password_changed'> | undefined {
  if (!user || user.status === 'deleted') return 'deleted';
  // Access ended after this session opened (and came back since: restore, activate).
  if (user.accessEnded && session.created.getTime() < user.accessEnded.at.getTime()) return user.accessEnded.reason;
  if (user.status !== 'active') return 'suspended';
  if (!user.passwordHash || passwordStamp(user.passwordHash) !== session.passwordStamp || user.mustChangePassword) return 'password_changed';
  return undefined;
}

function parseToken(token: string): { id: string; secret: string } | undefined {
  const [prefix, id, secret, ...rest] = token.split('.');
  if (prefix !== SESSION_PREFIX || !id || !secret || rest.length > 0 || !/^[0-9a-f]{24}$/.test(id)) return undefined;
  return { id, secret };
}

/**
 * Sign-in and sessions for the platform's login page (docs/behaviour.md "Sign-in, sessions and password reset"). The
 * platform calls with a token of scope `signin`; the organization is the token's.
 *
 * Sessions end at once when the user's access ends: this service listens to UserService's
 * onAccessEnded, which every write fires (SCIM, /Bulk, side API), and ends all the user's sessions.
 */
export class SessionService {
  private readonly userRecords: UserRepository;
  readonly repo: SessionRepository;
  readonly throttle: SigninThrottle;
  private readonly accounts: SessionUsersRepository;
  private readonly lastSweep = new Map<string, number>();
  /** A hash to verify against when there is no user or no password, so timing does not tell. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly settings: SessionSettings,
  ) {
    this.repo = repos.sessions;
    this.accounts = repos.sessionUsers;
    this.userRecords = repos.users;
    this.throttle = new SigninThrottle(repos, clock, settings.throttle);
    users.onAccessEnded(async (orgId, userId, reason) => {
      await this.endAll(orgId, userId, reason, SYSTEM_ACTOR, '');
    });
  }

  // ---- the platform (scope signin) ----

  /** Checks the password and opens a session, or says why not (signin-refusal.ts). */
  async signIn(ctx: RequestContext, input: SigninInput): Promise<IssuedSession> {
    const user = await this.authenticate(ctx, input.email, input.password);
    if (user.mustChangePassword) {
      await this.recordRefusal(ctx, user, 'password_change_required');
      throw refuse(
        'password_change_required',
        'this account has a temporary password: set a new one with POST /api/v1/sessions/password-change',
      );
    }
    return this.issue(ctx, user);
  }

  /**
   * The user sets a new password with the current one (a temporary password, or any): the same
   * checks and throttling as sign-in, then the password is written through UserService (so every
   * other session of the user ends and the change is audited) and a new session is opened.
   */
  async changePassword(ctx: RequestContext, input: PasswordChangeInput): Promise<IssuedSession> {
    if (input.newPassword === input.currentPassword) {
      throw badRequest('invalidValue', 'newPassword: must differ from the current password');
    }
    const user = await this.authenticate(ctx, input.email, input.currentPassword);
    const passwordHash = await hashPassword(input.newPassword);
    let updated: UserRecord;
    try {
      updated = await this.users.applyChange(ctx, user._id, (current) => {
        // Changed by someone else since it was verified: the current password is no longer that one.
        if (current.passwordHash !== user.passwordHash) throw refuse('invalid_credentials', 'the email or password is not correct');
        if (current.status !== 'active') throw refuse('suspended', 'this account is suspended');
        return { passwordHash, mustChangePassword: undefined };
      });
    } catch (err) {
      if (err instanceof ScimError && err.status === 404) throw refuse('deleted', 'this account was deleted');
      throw err;
    }
    return this.issue(ctx, updated);
  }

  /** 200 with the session and its user, or 401 session_invalid / session_expired / session_ended. */
  async verify(ctx: RequestContext, token: string): Promise<SessionCheck> {
    const session = await this.resolve(ctx, token);
    if (!session) throw refuse('session_invalid', 'this is not a session of this organization');
    const now = this.clock.now();
    if (session.endedAt) {
      throw refuse('session_ended', `this session ended at ${session.endedAt.toISOString()} (${session.endReason ?? 'ended'})`);
    }
    if (session.expiresAt.getTime() <= now.getTime()) {
      throw refuse('session_expired', `this session expired at ${session.expiresAt.toISOString()}`);
    }
    const user = await this.userRecords.findAny(ctx.orgId, session.userId);
    const stale = staleReason(session, user);
    if (stale) {
      await this.endSessions(ctx.orgId, session.userId, [session._id], stale, SYSTEM_ACTOR, ctx.requestId);
      throw refuse('session_ended', `this session ended: ${stale.replace('_', ' ')}`);
    }
    let lastUsedAt = session.lastUsedAt;
    if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await this.repo.touch(session._id, now);
      lastUsedAt = now;
    }
    return { session: toView({ ...session, lastUsedAt }), user: await this.userView(ctx, user!) };
  }

  /** Ends the session the token names, if it is a live session of this organization; nothing otherwise. */
  async signOut(ctx: RequestContext, token: string): Promise<void> {
    const session = await this.resolve(ctx, token);
    if (!session || session.endedAt) return;
    await this.endSessions(ctx.orgId, session.userId, [session._id], 'signed_out', ctx.actor, ctx.requestId);
  }

  // ---- administrators (scope admin) ----

  /** The user's live sessions, newest first, without secrets; 404 for a user the organization does not have. */
  async list(ctx: RequestContext, userId: string): Promise<SessionView[]> {
    await this.users.get(ctx, userId);
    return (await this.repo.listLive(ctx.orgId, userId, this.clock.now())).map(toView);
  }

  /** Ends one session of the user; 404 when it is not a live session of that user. */
  async terminate(ctx: RequestContext, userId: string, sessionId: string): Promise<void> {
    await this.users.get(ctx, userId);
    const ended = await this.endSessions(ctx.orgId, userId, [sessionId], 'terminated', ctx.actor, ctx.requestId);
    if (ended.length === 0) throw notFound(`no live session ${sessionId} of User ${userId}`);
  }

  /** Ends every live session of the user; returns how many. */
  async terminateAll(ctx: RequestContext, userId: string): Promise<number> {
    await this.users.get(ctx, userId);
    return (await this.endAll(ctx.orgId, userId, 'terminated', ctx.actor, ctx.requestId)).length;
  }

  /** Ends every live session of the user at once (the onAccessEnded listener); returns their ids. */
  async endAll(orgId: string, userId: string, reason: SessionEndReason, actor: Actor, requestId: string): Promise<string[]> {
    const live = await this.repo.listLive(orgId, userId, this.clock.now());
    return this.endSessions(orgId, userId, live.map((s) => s._id), reason, actor, requestId);
  }

  // ---- internals ----

  /**
   * The user the address signs in, after the throttle and the password: 429 while locked; 403
   * invited (no password exists to check); 401 invalid_credentials for an unknown address, a user
   * without a password or a wrong password (one answer, and scrypt runs in every case so timing
   * does not tell either); only then 403 deleted or suspended.
   */
  private async authenticate(ctx: RequestContext, address: string, password: string): Promise<UserRecord> {
    const emailKey = address.toLowerCase();
    // Counted before the password is checked, so parallel guesses cannot outrun the limit.
    const ticket = await this.throttle.begin(ctx.orgId, emailKey);
    const user = await this.findAccount(ctx.orgId, emailKey);
    if (user?.status === 'invited') {
      // Not a guess: there is no password to check, so the attempt does not count.
      await this.throttle.succeeded(ticket);
      await this.recordRefusal(ctx, user, 'invited');
      throw refuse('invited', 'this account is invited and not set up yet: accept the invitation to set a password');
    }
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.fallbackHash()));
    if (!user?.passwordHash || !matches) {
      const locked = await this.throttle.failed(ticket);
      await this.recordRefusal(ctx, user, 'invalid_credentials');
      if (locked) await this.record(ctx, 'signin.locked', user, [{ path: 'reason', old: null, new: 'too_many_attempts' }]);
      throw refuse('invalid_credentials', 'the email or password is not correct');
    }
    await this.throttle.succeeded(ticket);
    if (user.status === 'deleted') {
      await this.recordRefusal(ctx, user, 'deleted');
      throw refuse('deleted', 'this account was deleted');
    }
    if (user.status === 'suspended') {
      await this.recordRefusal(ctx, user, 'suspended');
      throw refuse('suspended', 'this account is suspended');
    }
    return needsRehash(user.passwordHash) ? this.rehash(ctx, user, user.passwordHash, password) : user;
  }

  /**
   * Stores a hash of the verified password at today's parameters (docs/architecture.md "Sign-in").
   * The user's open sessions move to the new hash's stamp, so they go on; one the user's own
   * password change raced is left alone.
   */
  private async rehash(ctx: RequestContext, user: UserRecord, oldHash: string, password: string): Promise<UserRecord> {
    const passwordHash = await hashPassword(password);
    if (!(await this.users.rehashPassword(ctx, user._id, oldHash, passwordHash))) return user;
    await this.repo.restamp(ctx.orgId, user._id, passwordStamp(oldHash), passwordStamp(passwordHash));
    return { ...user, passwordHash, version: user.version + 1 };
  }

  /**
   * The live user with this sign-in email; else the most recently deleted user whose sign-in email
   * it was (deleted users' unique keys are `~deleted:<id>`, so they are found by their addresses).
   */
  private async findAccount(orgId: string, emailKey: string): Promise<UserRecord | undefined> {
    const live = await this.accounts.findLive(orgId, emailKey);
    if (live) return live;
    const deleted = await this.accounts.findDeleted(orgId, emailKey);
    return deleted.find((u) => signInEmail({ userName: u.userName, emails: u.emails ?? [] }) === emailKey);
  }

  private fallbackHash(): Promise<string> {
    this.dummyHash ??= hashPassword(newSecret());
    return this.dummyHash;
  }

  private async issue(ctx: RequestContext, user: UserRecord): Promise<IssuedSession> {
    const now = this.clock.now();
    const id = randomBytes(12).toString('hex');
    const secret = newSecret();
    const session: SessionRecord = {
      _id: id,
      orgId: ctx.orgId,
      userId: user._id,
      secretHash: hashTokenSecret(secret),
      passwordStamp: passwordStamp(user.passwordHash),
      created: now,
      expiresAt: new Date(now.getTime() + this.settings.ttlHours * HOUR_MS),
    };
    await this.repo.insert(session);
    // A suspension, deletion or password change that landed between the password check and the
    // insert may have ended the user's sessions before this one existed: read the user again.
    const current = await this.userRecords.findAny(ctx.orgId, user._id);
    const stale = staleReason(session, current);
    if (stale) {
      await this.endSessions(ctx.orgId, user._id, [id], stale, SYSTEM_ACTOR, ctx.requestId);
      if (stale === 'password_changed') throw refuse('invalid_credentials', 'the email or password is not correct');
      throw refuse(stale, stale === 'deleted' ? 'this account was deleted' : 'this account is suspended');
    }
    await this.record(ctx, 'session.created', user, [{ path: 'session', old: null, new: id }]);
    await this.sweep(ctx.orgId, now);
    return { ...toView(session), token: `${SESSION_PREFIX}.${id}.${secret}`, user: await this.userView(ctx, current!) };
  }

  /** The live or ended session a token names in this organization; undefined for anything else. */
  private async resolve(ctx: RequestContext, token: string): Promise<SessionRecord | undefined> {
    const parsed = parseToken(token);
    if (!parsed) return undefined;
    const session = await this.repo.findById(parsed.id);
    // Hash and compare even for an unknown id, so timing does not tell which ids exist.
    const matches = sameHash(hashTokenSecret(parsed.secret), session?.secretHash ?? 'x');
    // Another organization's session is unknown here (docs/behaviour.md "Tenancy").
    if (!session || !matches || session.orgId !== ctx.orgId) return undefined;
    return session;
  }

  /** Ends these sessions of the user (those still live); one audit entry names them all. */
  private async endSessions(
    orgId: string,
    userId: string,
    ids: string[],
    reason: SessionEndReason,
    actor: Actor,
    requestId: string,
  ): Promise<string[]> {
    const now = this.clock.now();
    const ended: string[] = [];
    for (const id of ids) if (await this.repo.end(orgId, userId, id, reason, now)) ended.push(id);
    if (ended.length > 0) {
      await this.audit.record({
        orgId,
        at: now,
        actor,
        action: 'session.ended',
        target: { type: 'User', id: userId },
        changes: [
          { path: 'sessions', old: ended, new: null },
          { path: 'endReason', old: null, new: reason },
        ],
        requestId,
      });
    }
    return ended;
  }

  private async userView(ctx: RequestContext, user: UserRecord): Promise<SessionUserView> {
    const presented = await this.users.presentOne(ctx, user);
    return {
      id: user._id,
      userName: user.userName,
      status: user.status,
      roles: (presented.derived?.roles ?? []).map((r) => ({ value: String(r.value), ...(r.display !== undefined ? { display: r.display } : {}) })),
    };
  }

  /**
   * `signin.failed` with the reason. The attempted address of an unknown account is not recorded:
   * people type passwords into the email field, and the audit trail must hold no secret.
   */
  private async recordRefusal(ctx: RequestContext, user: UserRecord | undefined, reason: SigninReason): Promise<void> {
    await this.record(ctx, 'signin.failed', user, [{ path: 'reason', old: null, new: reason }]);
  }

  private async record(ctx: RequestContext, action: AuditAction, user: UserRecord | undefined, changes: AuditChange[]): Promise<void> {
    const target = user ? { type: 'User', id: user._id, userName: user.userName } : { type: 'User', id: '~unknown' };
    await this.audit.recordFor(ctx, this.clock.now(), action, target, changes);
  }

  /** Lazy clean-up of long-expired sessions (FerretDB has no TTL indexes), at most once a minute per organization. */
  private async sweep(orgId: string, now: Date): Promise<void> {
    const last = this.lastSweep.get(orgId) ?? 0;
    if (now.getTime() - last < SWEEP_EVERY_MS) return;
    this.lastSweep.set(orgId, now.getTime());
    await this.repo.removeExpired(orgId, new Date(now.getTime() - KEEP_AFTER_EXPIRY_MS));
  }
}
