import { z } from 'zod';
import type { Repositories } from '../../store/repositories.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationRepository } from '../../store/organization.repository.js';
import type { UserRepository } from '../../store/user.repository.js';
import {
  InvitationRepository,
  type InvitationRecord,
  type InvitationTokenRecord,
} from '../../store/invitation.repository.js';
import { ScimError, badRequest, notFound } from '../../scim/errors.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import type { Actor, Clock, RequestContext } from '../context.js';
import { findRole } from '../groups/roles.js';
import { hashTokenSecret, newSecret } from '../secrets.js';
import { redeemLink } from '../one-time-link.js';
import { idFor } from '../tokens.js';
import type { UserRecord } from '../../store/user.repository.js';
import type { UserService } from '../users/user.service.js';
import type { Delivery, Mailer, Message } from './mailer.js';
import type { InvitedUserBatch } from '../users/user.service.js';

/** Invitations being sent together (InvitationService.openBatch). */
export interface InvitationBatch {
  users: InvitedUserBatch;
  pending: { invitation: InvitationRecord; token: InvitationTokenRecord; secret: string; linkBase: string }[];
}

async function sequential<T, R>(items: T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await each(item));
  return out;
}

const HOUR_MS = 60 * 60 * 1000;

export const inviteInput = z
  .object({
    email: z.email().max(256),
    role: z.string().trim().min(1).max(200).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    company: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type InviteInput = z.infer<typeof inviteInput>;

export const acceptInput = z
  .object({
    token: z.string().min(1).max(200),
    password: z.string().min(8, 'must be at least 8 characters').max(1024),
  })
  .strict();

export interface InvitationView {
  userId: string;
  email: string;
  state: InvitationRecord['state'];
  invitedAt: string;
  lastSentAt: string;
  resendCount: number;
  expiresAt: string;
  acceptedAt?: string;
  cancelledAt?: string;
}

function toView(inv: InvitationRecord): InvitationView {
  return {
    userId: inv._id,
    email: inv.email,
    state: inv.state,
    invitedAt: inv.invitedAt.toISOString(),
    lastSentAt: inv.lastSentAt.toISOString(),
    resendCount: inv.resendCount,
    expiresAt: inv.expiresAt.toISOString(),
    ...(inv.acceptedAt ? { acceptedAt: inv.acceptedAt.toISOString() } : {}),
    ...(inv.cancelledAt ? { cancelledAt: inv.cancelledAt.toISOString() } : {}),
  };
}

/** Who accepts: the invitee, known only by the link. */
const INVITEE: Actor = { type: 'system', id: 'invitation', name: 'invitee (accept link)' };

/**
 * Invitations (docs/behaviour.md "Side API", "User lifecycle"): an invited user holds a seat and signs
 * in after accepting a single-use link, which expires after the organization's invitationTtlHours.
 * Only the link's SHA-256 is stored; the secret appears in the message alone.
 */
export class InvitationService {
  private readonly organizations: OrganizationRepository;
  private readonly userRecords: UserRepository;
  readonly repo: InvitationRepository;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
  ) {
    this.repo = repos.invitations;
    this.organizations = repos.organizations;
    this.userRecords = repos.users;
  }

  /** How many of the organization's invitations are in each state (one aggregation, domain/kpis.ts). */
  countByState(ctx: Pick<RequestContext, 'orgId'>): ReturnType<InvitationRepository['countByState']> {
    return this.repo.countByState(ctx.orgId);
  }

  /**
   * `source`: the bulk import job and file row sending it, stored with the invitation
   * (imports/import.service.ts); `resumed`: a cut-off run of the job may have created this row's user.
   */
  async invite(
    ctx: RequestContext,
    input: InviteInput,
    linkBase: string,
    source?: { jobId: string; row: number; resumed?: boolean; batch?: InvitationBatch },
  ): Promise<InvitationView & { delivery: Delivery }> {
    const org = source?.batch?.users.org ?? (await this.organizations.findById(ctx.orgId));
    if (!org) throw notFound(`organization ${ctx.orgId} not found`);
    const role = input.role === undefined ? undefined : findRole(org, input.role);
    if (input.role !== undefined && !role) {
      throw badRequest('invalidValue', `role: "${input.role}" is not a role of this organization (${org.roles.map((r) => r.key).join(', ')})`);
    }
    if (input.company !== undefined && org.companies.length > 0 && !org.companies.includes(input.company)) {
      throw badRequest('invalidValue', `company: "${input.company}" is not one of the organization's companies`);
    }
    const body: Record<string, unknown> = {
      // Import extension columns, `<URN>:<attribute>` (flattened keys the User mapper reads).
      ...((input as { extensions?: Record<string, string> }).extensions ?? {}),
      userName: input.email,
      emails: [{ value: input.email, type: 'work', primary: true }],
      ...(input.name ? { displayName: input.name, name: { formatted: input.name } } : {}),
      ...(role ? { roles: [{ value: role.key, primary: true }] } : {}),
      ...(input.company ? { [SCHEMA_URN.enterpriseUser]: { organization: input.company } } : {}),
    };
    const now = this.clock.now();
    // A file row's user has an id derived from the job and row: if a run of the job created the
    // user and was cut off before storing the invitation, the resumed run finds that user (its
    // create clashes) and finishes the invitation instead of calling the row a duplicate.
    const id = source ? idFor(`import:${source.jobId}:${source.row}`) : undefined;
    // In a batch (bulk import), the writes wait for flushBatch. A row a cut-off run may have half
    // done (resumed) takes the path below, which finds that run's user.
    if (source?.batch && !source.resumed) return this.inviteIn(source.batch, ctx, input, body, now, org, id!, source, linkBase);
    let user: UserRecord;
    try {
      user = await this.users.createInvited(ctx, body, now, id);
    } catch (err) {
      // Only a clash (409) or a full organization (403, the user holding a seat already) can hide
      // an earlier run's user; other refusals (domain, bad value) are the row's own.
      const clash = err instanceof ScimError && (err.status === 409 || err.status === 403);
      const earlier = id && clash && source?.resumed ? await this.userRecords.findVisibleById(ctx.orgId, id) : null;
      if (!earlier || earlier.status !== 'invited' || (await this.repo.find(ctx.orgId, earlier._id))) throw err;
      user = earlier;
    }
    const { secret, token } = this.newToken(ctx.orgId, user._id, now, org.invitationTtlHours);
    const invitation = pendingInvitation(ctx.orgId, user._id, input.email, token, now, source);
    try {
      await this.repo.exclusive(user._id, () => this.repo.insert(invitation, token));
    } catch (err) {
      // No invitation without its user: give the seat and the name back.
      await this.repo.removeToken(token._id).catch(() => undefined);
      await this.users.cancelInvited(ctx, user._id).catch(() => undefined);
      throw err;
    }
    const delivery = await this.deliver(ctx.orgId, input.email, secret, linkBase, org.name);
    await this.record(ctx, 'invitation.sent', invitation, [{ path: 'delivery', old: null, new: delivery.channel }]);
    return { ...toView(invitation), delivery };
  }

  /**
   * A batch of invitations (bulk import): `invite` with `source.batch` applies every rule at once and
   * queues the writes; `flushBatch` then writes users, links, invitations, messages and audit entries
   * a few commands for the whole batch. `emails`: the addresses the batch may invite; `size`: at most how many.
   */
  async openBatch(ctx: RequestContext, emails: string[], size: number): Promise<InvitationBatch> {
    return { users: await this.users.openInvitedBatch(ctx, emails.map((e) => e.toLowerCase()), size), pending: [] };
  }

  /**
   * Writes the batch's invitations. Returns the users not invited after all (a unique key taken by
   * another request since the batch read them: their 409), which the caller reports as such.
   */
  async flushBatch(batch: InvitationBatch): Promise<Map<string, unknown>> {
    const pending = batch.pending.splice(0);
    const ctx = batch.users.ctx;
    const notWritten = await this.users.flushInvited(batch.users);
    const sent = pending.filter((p) => !notWritten.has(p.invitation._id));
    await this.repo.insertMany(
      sent.map((p) => p.invitation),
      sent.map((p) => p.token),
    );
    const messages = sent.map((p) => this.message(ctx.orgId, p.invitation.email, p.secret, p.linkBase, batch.users.org.name));
    const deliveries = this.mailer.sendMany ? await this.mailer.sendMany(messages) : await sequential(messages, (m) => this.mailer.send(m));
    const at = this.clock.now();
    await this.audit.recordMany(
      sent.map((p, i) => ({
        orgId: ctx.orgId,
        at,
        actor: ctx.actor,
        action: 'invitation.sent' as const,
        target: { type: 'User', id: p.invitation._id, userName: p.invitation.email },
        changes: [{ path: 'delivery', old: null, new: deliveries[i]!.channel }],
        requestId: ctx.requestId,
      })),
    );
    return notWritten;
  }

  /** Drops a batch without writing it (UserService.discardInvited). */
  async discardBatch(batch: InvitationBatch): Promise<void> {
    batch.pending.splice(0);
    await this.users.discardInvited(batch.users);
  }

  private async inviteIn(
    batch: InvitationBatch,
    ctx: RequestContext,
    input: InviteInput,
    body: Record<string, unknown>,
    now: Date,
    org: { invitationTtlHours: number },
    id: string,
    source: { jobId: string; row: number },
    linkBase: string,
  ): Promise<InvitationView & { delivery: Delivery }> {
    const user = await this.users.createInvitedIn(batch.users, body, now, id);
    const { secret, token } = this.newToken(ctx.orgId, user._id, now, org.invitationTtlHours);
    const invitation = pendingInvitation(ctx.orgId, user._id, input.email, token, now, source);
    batch.pending.push({ invitation, token, secret, linkBase });
    return { ...toView(invitation), delivery: { channel: this.mailer.sendMany ? 'outbox' : 'smtp', sent: false, queued: true } };
  }

  async get(ctx: RequestContext, userId: string): Promise<InvitationView> {
    return toView(await this.pending(ctx, userId, false));
  }

  /** A new link; the previous one stops working. */
  async resend(ctx: RequestContext, userId: string, linkBase: string): Promise<InvitationView & { delivery: Delivery }> {
    const org = await this.organizations.findById(ctx.orgId);
    if (!org) throw notFound(`organization ${ctx.orgId} not found`);
    const { secret, updated } = await this.repo.exclusive(userId, async () => {
      const current = await this.pending(ctx, userId, true);
      const user = await this.users.get(ctx, userId);
      if (user.status !== 'invited') {
        throw new ScimError(409, `User ${userId} is not invited (status "${user.status}"): there is nothing to resend`);
      }
      const now = this.clock.now();
      const { secret, token } = this.newToken(ctx.orgId, userId, now, org.invitationTtlHours);
      await this.repo.rotate(ctx.orgId, userId, current.tokenHash, token, now);
      const updated: InvitationRecord = {
        ...current,
        tokenHash: token._id,
        lastSentAt: now,
        expiresAt: token.expiresAt,
        resendCount: current.resendCount + 1,
      };
      return { secret, updated };
    });
    const delivery = await this.deliver(ctx.orgId, updated.email, secret, linkBase, org.name);
    await this.record(ctx, 'invitation.resent', updated, [{ path: 'resendCount', old: updated.resendCount - 1, new: updated.resendCount }]);
    return { ...toView(updated), delivery };
  }

  /** Cancel: the invited user is gone for good, its seat released; the invitation and audit trail stay. */
  async cancel(ctx: RequestContext, userId: string): Promise<void> {
    await this.repo.exclusive(userId, async () => {
      const current = await this.pending(ctx, userId, true);
      await this.users.cancelInvited(ctx, userId);
      const now = this.clock.now();
      await this.repo.endToken(current.tokenHash, 'cancelled', now);
      await this.repo.setState(ctx.orgId, userId, 'cancelled', now);
      await this.record(ctx, 'invitation.cancelled', current, [{ path: 'state', old: 'pending', new: 'cancelled' }]);
    });
  }

  /**
   * Public: the invitee sets a password. 400 for a link Roster never issued; 410 for one that was
   * used, replaced by a resend, cancelled or expired.
   */
  async accept(token: string, password: string, requestId: string, scimBaseUrl: string): Promise<{ userId: string; status: 'active' }> {
    const links = {
      findByHash: (hash: string) => this.repo.findToken(hash),
      exclusive: <T>(userId: string, work: () => Promise<T>) => this.repo.exclusive(userId, work),
      invalid: 'this invitation link is not valid',
      ended: {
        used: 'this invitation was already accepted',
        replaced: 'this invitation link was replaced by a newer one',
        cancelled: 'this invitation was cancelled',
      },
      expired: (at: Date) => `this invitation expired at ${at.toISOString()}`,
    };
    return redeemLink(links, token, password, () => this.clock.now(), async (link, hash, passwordHash, now) => {
      const ctx: RequestContext = { orgId: link.orgId, actor: INVITEE, requestId, scimBaseUrl };
      await this.users.activateInvited(ctx, link.userId, passwordHash);
      await this.repo.endToken(hash, 'used', now);
      await this.repo.setState(link.orgId, link.userId, 'accepted', now);
      const invitation = await this.repo.find(link.orgId, link.userId);
      if (invitation) await this.record(ctx, 'invitation.accepted', invitation, [{ path: 'state', old: 'pending', new: 'accepted' }]);
      return { userId: link.userId, status: 'active' as const };
    });
  }

  private async pending(ctx: RequestContext, userId: string, mustBePending: boolean): Promise<InvitationRecord> {
    const found = await this.repo.find(ctx.orgId, userId);
    if (!found) throw notFound(`no invitation for user ${userId}`);
    if (mustBePending && found.state !== 'pending') {
      throw new ScimError(409, `the invitation of user ${userId} is ${found.state}, not pending`);
    }
    return found;
  }

  private newToken(orgId: string, userId: string, now: Date, ttlHours: number): { secret: string; token: InvitationTokenRecord } {
    const secret = newSecret();
    return {
      secret,
      token: {
        _id: hashTokenSecret(secret),
        orgId,
        userId,
        state: 'live',
        expiresAt: new Date(now.getTime() + ttlHours * HOUR_MS),
        created: now,
      },
    };
  }

  private async deliver(orgId: string, to: string, secret: string, linkBase: string, orgName: string): Promise<Delivery> {
    return this.mailer.send(this.message(orgId, to, secret, linkBase, orgName));
  }

  private message(orgId: string, to: string, secret: string, linkBase: string, orgName: string): Message {
    const link = `${linkBase}/accept-invitation?token=${encodeURIComponent(secret)}`;
    return {
      orgId,
      kind: 'invitation',
      to,
      subject: `You are invited to ${orgName}`,
      text: `You have been invited to ${orgName}.\n\nSet your password and activate your account:\n${link}\n`,
      link,
    };
  }

  private async record(
    ctx: RequestContext,
    action: 'invitation.sent' | 'invitation.resent' | 'invitation.cancelled' | 'invitation.accepted',
    invitation: InvitationRecord,
    changes: { path: string; old: unknown; new: unknown }[],
  ): Promise<void> {
    await this.audit.recordFor(ctx, this.clock.now(), action, { type: 'User', id: invitation._id, userName: invitation.email }, changes);
  }
}

/** A pending invitation for a user just invited, with its first link (and the import row it came from). */
function pendingInvitation(
  orgId: string,
  userId: string,
  email: string,
  token: { _id: string; expiresAt: Date },
  now: Date,
  source?: { jobId: string; row: number },
): InvitationRecord {
  return {
    _id: userId,
    orgId,
    email,
    state: 'pending',
    tokenHash: token._id,
    invitedAt: now,
    lastSentAt: now,
    resendCount: 0,
    expiresAt: token.expiresAt,
    ...(source ? { jobId: source.jobId, jobRow: source.row } : {}),
  };
}
