import type { Logger } from 'pino';
import type { Repositories } from '../../store/repositories.js';
import { type OrganizationRepository, type OrganizationRecord } from '../../store/organization.repository.js';
import { type UserRepository, type UserRecord, type UserStatus } from '../../store/user.repository.js';
import type { AuditAction } from '../../store/audit.repository.js';
import { ScimError, badRequest, notFound } from '../../scim/errors.js';
import { applyOperations, readPatchOperations } from '../../scim/patch.js';
import { createLogger } from '../../logger.js';
import type { Actor, Clock, RequestContext } from '../context.js';
import { AuditService } from '../audit/audit.service.js';
import { diffUsers } from '../audit/user-diff.js';
import { checkEmailDomain } from '../rules/email-domain.js';
import { holdsSeat, SeatService, type SeatUsage } from '../seats.js';
import { hashPassword } from '../secrets.js';
import { newId } from '../../ids.js';
import { checkIfMatch } from '../../scim/etag.js';
import { retryOnConflict, RETRY, uniquenessError } from '../write.js';
import { DuplicateKeyError } from '../../store/errors.js';
import { carryExtensions, parseUserResource, recordFieldsFrom, signInEmail, userToScim, type DerivedUserData, type UserInput } from './user.mapper.js';
import { type GroupRepository } from '../../store/group.repository.js';
import { type MembershipRepository } from '../../store/membership.repository.js';
import { equalityValue, idsCondition, MAX_MEMBERSHIP_FILTER_IDS, membershipField } from '../groups/membership-filter.js';
import { mapLeaves, type Condition } from '../../scim/filter.js';
import { effectiveRoles, findRole } from '../groups/roles.js';
import { stampUserEvent, type EventSink } from '../events/record.js';

/** How many expired users one purge pass reads per organization at a time. */
const PURGE_BATCH = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Who acts when no request does: retention expiry, the start-up recount. */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'system', name: 'Roster' };

/** Why a user's sign-in sessions must end at once (docs/behaviour.md "Sign-in, sessions and password reset"). */
export type AccessEndedReason = 'suspended' | 'deleted' | 'password_changed';
export type AccessEndedListener = (orgId: string, userId: string, reason: AccessEndedReason) => Promise<void>;

/** The reason a write ends the user's sessions, if it does. */
function accessEndedBy(before: UserRecord, after: UserRecord): AccessEndedReason | undefined {
  if (after.status === 'deleted' && before.status !== 'deleted') return 'deleted';
  if (after.status === 'suspended' && before.status !== 'suspended') return 'suspended';
  if (after.passwordHash !== before.passwordHash && before.passwordHash !== undefined) return 'password_changed';
  return undefined;
}

/** Stamps `accessEnded` on a write that ends access, so sessions opened before it stay ended. */
function markAccessEnded(before: UserRecord, after: UserRecord): void {
  const reason = accessEndedBy(before, after);
  if (reason) after.accessEnded = { at: after.lastModified, reason };
}

export interface ListPage {
  totalResults: number;
  items: UserRecord[];
}

/** A user as read for a response: the stored record and what is derived from memberships. */
export type PresentedUser = UserRecord & { derived?: DerivedUserData };

export interface UserListQuery {
  filter: Condition;
  sort: Record<string, 1 | -1>;
  /** 0-based */
  skip: number;
  limit: number;
}

/** SCIM `active` is true for invited and active users (docs/behaviour.md "User lifecycle"). */
export function isActiveStatus(status: UserStatus): boolean {
  return status === 'invited' || status === 'active';
}

function statusAfter(current: UserStatus | undefined, active: boolean | undefined): UserStatus {
  if (active === undefined) return current ?? 'active';
  if (!active) return 'suspended';
  // Reactivating keeps an invited user invited: onboarding is not done by a SCIM flag.
  return current === 'invited' ? 'invited' : 'active';
}

export class UserService {
  readonly repo: UserRepository;
  private readonly orgs: OrganizationRepository;
  private readonly groups: GroupRepository;
  private readonly memberships: MembershipRepository;
  private readonly accessEndedListeners: AccessEndedListener[] = [];
  /** Told after every write that carries an event (app.ts wires the EventService). */
  eventSink: EventSink | undefined;

  constructor(
    repos: Repositories,
    private readonly seats: SeatService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger: Logger = createLogger('error'),
  ) {
    this.repo = repos.users;
    this.orgs = repos.organizations;
    // Read-only here: group writes go through GroupService.writeGroup.
    this.groups = repos.groups;
    this.memberships = repos.memberships;
  }

  /** Start-up maintenance (store/case-keys.ts): fills the lower-cased shadow keys that older documents lack. */
  backfillCaseKeys(): ReturnType<UserRepository['backfillCaseKeys']> {
    return this.repo.backfillCaseKeys();
  }

  /** Called after any write (SCIM or side API) that suspends, deletes or re-passwords a user. */
  onAccessEnded(listener: AccessEndedListener): void {
    this.accessEndedListeners.push(listener);
  }

  /**
   * Runs the listeners. A failure is logged, never thrown: the user's write is done and an identity
   * provider's retry would change nothing. Sign-in also checks the user's state on every use, so a
   * session that a failed listener left open is refused all the same.
   */
  private async accessEnded(before: UserRecord, after: UserRecord): Promise<void> {
    // The write stamped `accessEnded` when it ended access (markAccessEnded, remove): a new stamp.
    if (!after.accessEnded || after.accessEnded === before.accessEnded) return;
    const { reason } = after.accessEnded;
    for (const listener of this.accessEndedListeners) {
      try {
        await listener(after.orgId, after._id, reason);
      } catch (err) {
        this.logger.error({ err, userId: after._id, reason }, 'ending the sessions of a user failed');
      }
    }
  }

  private async org(orgId: string): Promise<OrganizationRecord> {
    const org = await this.orgs.findById(orgId);
    if (!org) throw notFound(`organization ${orgId} not found`);
    return org;
  }

  /** The caller's organization (404 when it is gone). */
  organization(ctx: Pick<RequestContext, 'orgId'>): Promise<OrganizationRecord> {
    return this.org(ctx.orgId);
  }

  /** Any user of the organization, recently deleted ones included (side API). */
  findAny(ctx: RequestContext, id: string): Promise<UserRecord | null> {
    return this.repo.findAny(ctx.orgId, id);
  }

  /** A page of any users, recently deleted ones included (the side API's Users screen). */
  listAny(ctx: RequestContext, query: UserListQuery): Promise<UserRecord[]> {
    return this.repo.listAny(ctx.orgId, query);
  }

  countAny(ctx: RequestContext, filter: Condition): Promise<number> {
    return this.repo.countAny(ctx.orgId, filter);
  }

  toScim(user: PresentedUser, ctx: RequestContext): Record<string, unknown> {
    return userToScim(user, ctx.scimBaseUrl, user.derived);
  }

  /**
   * Adds what is derived at read time (docs/behaviour.md "Roles and groups"): `groups` from the users'
   * memberships and the effective `roles`. Never stored: the user's versioned replace would overwrite it.
   */
  async present<T extends UserRecord>(ctx: RequestContext, users: T[]): Promise<(T & { derived: DerivedUserData })[]> {
    if (users.length === 0) return [];
    const [org, rows] = await Promise.all([this.org(ctx.orgId), this.memberships.ofUsers(ctx.orgId, users.map((u) => u._id))]);
    const groups = new Map((await this.groups.findMany(ctx.orgId, [...new Set(rows.map((r) => r.groupId))])).map((g) => [g._id, g]));
    const byUser = new Map<string, string[]>();
    for (const row of rows) if (groups.has(row.groupId)) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row.groupId]);
    return users.map((user) => {
      const mine = (byUser.get(user._id) ?? []).map((id) => groups.get(id)!).sort((a, b) => a.displayNameKey.localeCompare(b.displayNameKey));
      const roleKeys = mine.flatMap((g) => (g.roleKey ? [g.roleKey] : []));
      return {
        ...user,
        derived: {
          groups: mine.map((g) => ({ value: g._id, $ref: `${ctx.scimBaseUrl}/Groups/${g._id}`, display: g.displayName, type: 'direct' })),
          roles: effectiveRoles(org, user.roles, roleKeys),
        },
      };
    });
  }

  async presentOne(ctx: RequestContext, user: UserRecord): Promise<PresentedUser> {
    return (await this.present(ctx, [user]))[0]!;
  }

  /**
   * Membership conditions of a translated filter, in two steps (groups/membership-filter.ts):
   * `groups.value eq "g"` → the members of g; `roles.value eq "r"` → the direct role OR membership
   * of the group bound to r.
   */
  async resolveFilter(ctx: RequestContext, filter: Condition): Promise<Condition> {
    return mapLeaves(filter, async (leaf) => {
      const field = membershipField(leaf);
      if (field === 'groupIds') {
        const groupId = equalityValue(leaf, 'groups.value');
        return idsCondition(await this.memberships.userIdsIn(ctx.orgId, [groupId], MAX_MEMBERSHIP_FILTER_IDS + 1), 'groups.value');
      }
      // roles.value is case-insensitive: its equality compares the lower-cased shadow key (store/case-keys.ts).
      // Only equality reaches the group-granted roles; other comparisons match direct roles.
      if (leaf.kind !== 'compare' || leaf.keyField !== 'ci.roles.value' || leaf.op !== 'eq' || typeof leaf.value !== 'string') return undefined;
      const role = findRole(await this.org(ctx.orgId), leaf.value.toLowerCase());
      const bound = role ? await this.groups.findBoundTo(ctx.orgId, [role.key]) : [];
      if (bound.length === 0) return undefined;
      const ids = await this.memberships.userIdsIn(ctx.orgId, bound.map((g) => g._id), MAX_MEMBERSHIP_FILTER_IDS + 1);
      return { kind: 'or', conditions: [leaf, idsCondition(ids, 'roles.value')] };
    });
  }

  async get(ctx: RequestContext, id: string): Promise<UserRecord> {
    const user = await this.repo.findVisible(ctx.orgId, id);
    if (!user) throw notFound(`User ${id} not found`);
    return user;
  }

  async count(ctx: RequestContext, filter: Condition): Promise<number> {
    return this.repo.count(ctx.orgId, await this.resolveFilter(ctx, filter));
  }

  /**
   * One page and, unless `countTotal` is false, the exact total. A page shorter than asked
   * already tells the total (skip + its length), which spares the identity providers' lookups
   * (`userName eq ...`) a second query: a count costs as much as the find on an engine that scans.
   */
  async list(ctx: RequestContext, given: UserListQuery & { countTotal?: boolean }): Promise<ListPage> {
    // Membership conditions (groups.value, roles.value) resolved in two steps; items carry derived groups and roles.
    const query = { ...given, filter: await this.resolveFilter(ctx, given.filter) };
    const page = await this.listResolved(ctx, query);
    return { totalResults: page.totalResults, items: await this.present(ctx, page.items) };
  }

  private async listResolved(ctx: RequestContext, query: UserListQuery & { countTotal?: boolean }): Promise<ListPage> {
    const wantTotal = query.countTotal !== false;
    if (query.limit <= 0) {
      return { totalResults: wantTotal ? await this.repo.count(ctx.orgId, query.filter) : 0, items: [] };
    }
    const items = await this.repo.list(ctx.orgId, query);
    if (!wantTotal) return { totalResults: 0, items };
    const short = items.length < query.limit && (items.length > 0 || query.skip === 0);
    const totalResults = short ? query.skip + items.length : await this.repo.count(ctx.orgId, query.filter);
    return { totalResults, items };
  }

  /** `mustChangePassword`: the password in the body is a temporary one (side API direct create). */
  async create(ctx: RequestContext, body: unknown, options: { mustChangePassword?: boolean } = {}): Promise<UserRecord> {
    const input = parseUserResource(body);
    const id = newId();
    const now = this.clock.now();
    const status = statusAfter(undefined, input.active);
    const user: UserRecord = {
      _id: id,
      orgId: ctx.orgId,
      ...recordFieldsFrom(input, id),
      active: isActiveStatus(status),
      status,
      created: now,
      lastModified: now,
      version: 1,
    };
    if (input.password !== undefined) user.passwordHash = await hashPassword(input.password);
    if (options.mustChangePassword && user.passwordHash !== undefined) user.mustChangePassword = true;
    await this.commit(ctx, undefined, user);
    return user;
  }

  /** PUT: replaces every client-writable attribute (RFC 7644 3.5.1); read-only ones in the body are ignored. */
  async replace(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserRecord> {
    const input = parseUserResource(body);
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    return this.writeUser(ctx, id, (current) => this.replaced(current, input, passwordHash), { ifMatch, kind: 'put' });
  }

  /** PATCH: applies the operations to the current resource; retried on a concurrent change, so none is lost. */
  async patch(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserRecord> {
    // The PatchOp's own shape first (src/scim/patch.ts operationShape): a malformed request is a 400
    // whatever version If-Match names, as for groups.
    const operations = readPatchOperations(body);
    return this.writeUser(
      ctx,
      id,
      async (current) => {
        const { resource, changed } = applyOperations(userToScim(current, ctx.scimBaseUrl), operations, 'User');
        if (!changed) return undefined;
        // A user is active or not: removing `active` (or setting it to null) would leave the state as
        // it was while answering 200, so it is refused; false deactivates, true activates.
        if (resource['active'] === undefined || resource['active'] === null) {
          throw badRequest('mutability', 'active cannot be removed: replace it with false to deactivate the user, or true to activate it');
        }
        const input = parseUserResource(resource);
        const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
        return this.replaced(current, input, passwordHash);
      },
      { ifMatch },
    );
  }

  /** DELETE: the user moves to recently deleted; for SCIM it is gone (RFC 7644 3.6), and its names are free. */
  async remove(ctx: RequestContext, id: string, ifMatch?: string): Promise<void> {
    await this.writeUser(
      ctx,
      id,
      (current, now) => ({
        ...current,
        status: 'deleted',
        active: false,
        previousStatus: current.status,
        deletedAt: now,
        userNameKey: `~deleted:${id}`,
        emailKey: `~deleted:${id}`,
      }),
      { ifMatch },
    );
  }

  /** The record a SCIM replace or patch leaves: the input's attributes on what SCIM cannot write. */
  private replaced(current: UserRecord, input: UserInput, passwordHash: string | undefined): UserRecord {
    const status = statusAfter(current.status, input.active);
    const user: UserRecord = {
      _id: current._id,
      orgId: current.orgId,
      ...recordFieldsFrom(input, current._id),
      active: isActiveStatus(status),
      status,
      created: current.created,
      lastModified: current.lastModified,
      version: current.version,
    };
    carryExtensions(current, user);
    for (const key of ['invitedAt', 'onboardedAt', 'passwordHash', 'mustChangePassword', 'accessEnded'] as const) {
      if (current[key] !== undefined) (user as unknown as Record<string, unknown>)[key] = current[key];
    }
    if (passwordHash !== undefined) {
      // A password set by the identity provider is the user's own: no change is asked for.
      user.passwordHash = passwordHash;
      delete user.mustChangePassword;
    }
    return user;
  }

  /**
   * A side API change to a visible user: `change` returns the fields to set (a field set to
   * `undefined` is removed) or `undefined` for no change. The rules of writeUser apply.
   */
  async applyChange(
    ctx: RequestContext,
    id: string,
    change: (current: UserRecord) => Partial<UserRecord> | undefined | Promise<Partial<UserRecord> | undefined>,
    ifMatch?: string,
  ): Promise<UserRecord> {
    return this.writeUser(ctx, id, async (current) => {
      const fields = await change(current);
      if (!fields) return undefined;
      const user = { ...current, ...fields } as UserRecord;
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) delete (user as unknown as Record<string, unknown>)[key];
      }
      user.active = isActiveStatus(user.status);
      return user;
    }, { ifMatch });
  }

  /**
   * Replaces the stored hash of the same password by a stronger one (sign-in's rehash when the
   * parameters rose): not a change of the user, so no audit entry and no access-ended event. False
   * when the user's hash is no longer `expectedHash` (a password change won the race).
   */
  async rehashPassword(ctx: RequestContext, id: string, expectedHash: string, passwordHash: string): Promise<boolean> {
    const current = await this.repo.findVisible(ctx.orgId, id);
    if (!current || current.passwordHash !== expectedHash) return false;
    return this.repo.replace(ctx.orgId, current.version, { ...current, passwordHash, version: current.version + 1 });
  }

  /**
   * The one write path of an existing user: SCIM (PUT, PATCH, DELETE, /Bulk), the side API, imports,
   * invitations, sign-in and restore all change users here. It reads the user, checks If-Match
   * (RFC 7644 3.14), asks `change` for the next record (undefined: nothing to change), and commits it
   * under the expected version; a concurrent change makes it read and try again (retryOnConflict).
   * `from: 'any'` also reads recently deleted users (restore); `missing` is the error when there is none.
   */
  async writeUser(
    ctx: RequestContext,
    id: string,
    change: (current: UserRecord, now: Date) => UserRecord | undefined | Promise<UserRecord | undefined>,
    options: { ifMatch?: string | undefined; from?: 'visible' | 'any'; missing?: () => ScimError; kind?: 'put' | 'patch' } = {},
  ): Promise<UserRecord> {
    return retryOnConflict(`User ${id}`, async () => {
      const current = options.from === 'any' ? await this.repo.findAny(ctx.orgId, id) : await this.repo.findVisible(ctx.orgId, id);
      if (!current) throw options.missing?.() ?? notFound(`User ${id} not found`);
      checkIfMatch(options.ifMatch, current.version);
      const now = this.clock.now();
      const next = await change(current, now);
      if (!next) return current;
      next.lastModified = now;
      next.version = current.version + 1;
      return (await this.commit(ctx, current, next, options.kind)) ? next : RETRY;
    });
  }

  /**
   * Writes `next` over `current` (an insert when there is no current) under the rules every user
   * write obeys (docs/behaviour.md "Rules"): the email domain rule when the sign-in email changes or
   * access comes back (never on suspend or delete: an identity provider must always be able to take
   * access away), a seat taken when the status starts holding one and released when it stops,
   * unique userName and sign-in email as 409, the lifecycle event (docs/events.md) stamped into the
   * written document, the audit entry, and the access-ended listeners.
   * False when another request changed the user since `current` was read (nothing was written).
   */
  private async commit(ctx: RequestContext, current: UserRecord | undefined, next: UserRecord, kind: 'put' | 'patch' = 'patch'): Promise<boolean> {
    // Restoring is not ending access, even when the user comes back suspended.
    if (current && current.status !== 'deleted') markAccessEnded(current, next);
    // The event rides in the document it describes (docs/events.md). A restore brings the user back
    // into SCIM's view: for a receiver the resource exists again (RFC 9967 2.4.1).
    const eventKind = !current || current.status === 'deleted' ? 'create' : next.status === 'deleted' ? 'delete' : kind;
    stampUserEvent(this.eventSink, ctx, eventKind, current, next);
    const activating = !holdsSeat(current?.status) && holdsSeat(next.status);
    const email = signInEmail({ userName: next.userName, emails: next.emails ?? [] });
    const org = await this.org(ctx.orgId);
    if (next.status !== 'deleted' && (!current || activating || next.emailKey !== current.emailKey)) checkEmailDomain(email, org);
    const seat = activating ? await this.seats.take(org._id, org.seatLimit) : undefined;
    let written: boolean;
    try {
      if (!current) {
        await this.repo.insert(next);
        written = true;
      } else if (current.status === 'deleted') {
        written = await this.repo.replaceDeleted(ctx.orgId, current.version, next);
      } else {
        written = await this.repo.replace(ctx.orgId, current.version, next);
      }
    } catch (err) {
      await seat?.giveBack();
      throw await uniquenessError(err, {
        resource: 'User',
        userName: next.userName,
        email,
        taken: () => this.repo.takenKey(ctx.orgId, next._id, next.userName.toLowerCase(), email ?? `~none:${next._id}`),
      });
    }
    if (!written) {
      await seat?.giveBack();
      return false;
    }
    seat?.keep();
    if (current && holdsSeat(current.status) && !holdsSeat(next.status)) await this.seats.release(ctx.orgId);
    const action: AuditAction = !current
      ? 'user.created'
      : current.status === 'deleted'
        ? 'user.restored'
        : next.status === 'deleted'
          ? 'user.deleted'
          : 'user.updated';
    await this.recordUser(ctx, action, next.lastModified, current, next);
    if (current) await this.accessEnded(current, next);
    return true;
  }

  // ---- lifecycle beyond SCIM (side API, retention) ----

  /**
   * Brings a recently deleted user back to its previous state, with its
   * userName and sign-in email keys recomputed: 409 uniqueness when another
   * user took one meanwhile, 403 when it needs a seat and none is free, 400
   * when its email is no longer on the organization's domains.
   */
  async restore(ctx: RequestContext, id: string): Promise<UserRecord> {
    return this.writeUser(
      ctx,
      id,
      (current) => {
        if (current.status !== 'deleted') {
          throw new ScimError(409, `User ${id} is not deleted (status "${current.status}"): there is nothing to restore`);
        }
        const status: UserStatus = current.previousStatus && current.previousStatus !== 'deleted' ? current.previousStatus : 'active';
        const { deletedAt: _d, previousStatus: _p, ...rest } = current;
        return {
          ...rest,
          status,
          active: isActiveStatus(status),
          userNameKey: current.userName.toLowerCase(),
          emailKey: signInEmail({ userName: current.userName, emails: current.emails ?? [] }) ?? `~none:${id}`,
        };
      },
      { from: 'any' },
    );
  }

  /** Irreversible: removes a recently deleted user's document; its audit trail stays. */
  async removePermanently(ctx: RequestContext, id: string): Promise<void> {
    const current = await this.repo.findAny(ctx.orgId, id);
    if (!current) throw notFound(`User ${id} not found`);
    if (current.status !== 'deleted') {
      throw new ScimError(409, `User ${id} is not deleted (status "${current.status}"): delete it before deleting it permanently`);
    }
    // Its delete event may still travel inside it: handed on before the document goes. A permanent
    // delete is no SCIM change (the user left SCIM's view at its delete), so it has no event itself.
    await this.eventSink?.flush('User', id);
    if (!(await this.repo.deleteIfDeleted(ctx.orgId, id))) {
      // Restored or purged between the read and the delete.
      const now = await this.repo.findAny(ctx.orgId, id);
      if (!now) throw notFound(`User ${id} not found`);
      throw new ScimError(409, `User ${id} is not deleted (status "${now.status}"): delete it before deleting it permanently`);
    }
    await this.erased(ctx, 'user.permanently_deleted', current);
  }

  /** After a user's document is deleted for good: its memberships go, its audit trail stays and grows by one. */
  private async erased(ctx: Pick<RequestContext, 'orgId' | 'actor' | 'requestId'>, action: AuditAction, user: Pick<UserRecord, '_id' | 'userName'>): Promise<void> {
    await this.memberships.removeUser(ctx.orgId, user._id);
    await this.audit.recordFor(ctx, this.clock.now(), action, { type: 'User', id: user._id, userName: user.userName }, []);
  }

  /**
   * Purges every user deleted more than its organization's `retentionDays`
   * before `now`. Each purge is one delete whose filter holds the whole rule
   * (still deleted, deleted at or before the cutoff), and only the call whose
   * delete removed the document records `user.purged`: several processes
   * running this at once never purge twice or early. Returns how many it purged.
   *
   * The recently deleted users of all organizations are read in one pass, oldest first (they are
   * few: retention bounds them), not with one query per organization, which on an engine that
   * scans cost organizations × users.
   */
  async purgeExpired(now: Date, actor: Actor = SYSTEM_ACTOR, requestId = `purge:${newId()}`): Promise<number> {
    const cutoffs = new Map<string, Date | null>();
    const cutoffOf = async (orgId: string): Promise<Date | null> => {
      if (!cutoffs.has(orgId)) {
        const org = await this.orgs.findById(orgId);
        cutoffs.set(orgId, org ? new Date(now.getTime() - (org.retentionDays ?? 30) * DAY_MS) : null);
      }
      return cutoffs.get(orgId)!;
    };
    let purged = 0;
    let after: { deletedAt: Date; _id: string } | undefined;
    for (;;) {
      const batch = await this.repo.findDeletedAcrossOrgs(now, after, PURGE_BATCH);
      for (const user of batch) {
        const cutoff = await cutoffOf(user.orgId);
        if (!cutoff || !user.deletedAt || user.deletedAt.getTime() > cutoff.getTime()) continue;
        await this.eventSink?.flush('User', user._id);
        if (!(await this.repo.deleteIfDeleted(user.orgId, user._id, cutoff))) continue;
        purged += 1;
        await this.erased({ orgId: user.orgId, actor, requestId }, 'user.purged', user);
      }
      const last = batch[batch.length - 1];
      if (batch.length < PURGE_BATCH || !last?.deletedAt) return purged;
      after = { deletedAt: last.deletedAt, _id: last._id };
    }
  }

  /** The organization's seat counter and limit. */
  async seatUsage(ctx: RequestContext): Promise<SeatUsage> {
    const org = await this.org(ctx.orgId);
    return this.seats.usage(org._id, org.seatLimit);
  }

  /** Recomputes the seat counter from the users and repairs it; audited when it changed or was asked for. */
  async recountSeats(orgId: string, ctx?: Pick<RequestContext, 'actor' | 'requestId'>): Promise<SeatUsage> {
    const org = await this.org(orgId);
    const { before, used } = await this.seats.recount(orgId);
    if (ctx || before !== used) {
      await this.audit.record({
        orgId,
        at: this.clock.now(),
        actor: ctx?.actor ?? SYSTEM_ACTOR,
        action: 'seats.recounted',
        target: { type: 'Seats', id: orgId },
        changes: [{ path: 'used', old: before, new: used }],
        requestId: ctx?.requestId ?? '',
      });
    }
    return { used, limit: org.seatLimit };
  }

  /**
   * Checks the seat counter of every organization (at start-up) against one aggregation of the
   * users, and recounts exactly, under the counter's lock, only the counters that disagree.
   * Returns how many organizations it checked.
   */
  async recountAllSeats(): Promise<number> {
    const held = await this.repo.countHoldingSeatsByOrg();
    let count = 0;
    for (let skip = 0; ; skip += PURGE_BATCH) {
      const orgs = await this.orgs.list(skip, PURGE_BATCH);
      const counters = await this.seats.repo.usedOf(orgs.map((o) => o._id));
      for (const org of orgs) {
        if (counters.get(org._id) !== (held.get(org._id) ?? 0)) await this.recountSeats(org._id);
        count += 1;
      }
      if (orgs.length < PURGE_BATCH) return count;
    }
  }

  private async recordUser(
    ctx: RequestContext,
    action: AuditAction,
    at: Date,
    before: UserRecord | undefined,
    after: UserRecord,
  ): Promise<void> {
    // Every write that carries an event is audited here: the one place that tells the relay.
    if (after.pendingEvents?.length) this.eventSink?.notify('User', after._id, after.orgId, after.pendingEvents);
    await this.audit.recordFor(ctx, at, action, { type: 'User', id: after._id, userName: after.userName }, diffUsers(before, after));
  }

  // ---- invitations (side API, src/domain/invitations) ----

  /**
   * Creates a user in status `invited` (docs/behaviour.md "User lifecycle"), under the same rules as
   * create: domain, seat (an invited user holds one) and uniqueness.
   */
  async createInvited(ctx: RequestContext, body: unknown, invitedAt: Date, id: string = newId()): Promise<UserRecord> {
    const input = parseUserResource(body);
    const user = invitedRecord(ctx.orgId, id, input, invitedAt);
    await this.commit(ctx, undefined, user);
    return user;
  }

  /**
   * The batch entry point of createInvited (bulk import, invitations/invitation.service.ts): the
   * rules of `commit` are checked per user as `createInvitedIn` adds it (lifecycle event stamped,
   * email domain, uniqueness against the stored users read once here and the batch's own, a seat
   * from seats taken for the batch in one counter update), and `flushInvited` writes the users in
   * one insert, gives back the seats no user got, then records their audit entries and events.
   * `emailKeys`: the lower-cased addresses the batch may add; `size`: how many users it may add at most.
   */
  async openInvitedBatch(ctx: RequestContext, emailKeys: string[], size: number): Promise<InvitedUserBatch> {
    const org = await this.org(ctx.orgId);
    const taken = await this.repo.takenEmailKeys(ctx.orgId, [...new Set(emailKeys)]);
    return { ctx, org, taken, room: size, free: 0, holds: [], users: [] };
  }

  /** Adds an invited user to the batch, or throws the error `createInvited` would (400, 403, 409). */
  async createInvitedIn(batch: InvitedUserBatch, body: unknown, invitedAt: Date, id: string = newId()): Promise<UserRecord> {
    // This user and the ones the batch may still add after it.
    const want = Math.max(1, batch.room);
    batch.room -= 1;
    const { ctx, org } = batch;
    const input = parseUserResource(body);
    const user = invitedRecord(ctx.orgId, id, input, invitedAt);
    const email = signInEmail({ userName: user.userName, emails: user.emails ?? [] });
    checkEmailDomain(email, org);
    const nameKey = user.userName.toLowerCase();
    if (batch.taken.has(user.emailKey) || batch.taken.has(nameKey)) {
      const index = batch.taken.has(user.emailKey) ? 'emailKey' : 'userNameKey';
      throw await uniquenessError(new DuplicateKeyError(index), { resource: 'User', userName: user.userName, email, taken: async () => index === 'emailKey' ? 'email' : 'userName' });
    }
    if (batch.free === 0) {
      // As commit's seat rule, for several users at once: as many seats as the batch may still need.
      const hold = batch.full ? undefined : await this.seats.takeUpTo(org._id, org.seatLimit, want);
      if (hold) batch.holds.push(hold);
      if (!hold || hold.count === 0) {
        batch.full ??= { used: hold?.used ?? 0 };
        const refused = new ScimError(403, `seat limit reached: ${batch.full.used} of ${org.seatLimit ?? 'unlimited'} seats in use`);
        refused.rule = 'seat';
        throw refused;
      }
      batch.free += hold.count;
    }
    stampUserEvent(this.eventSink, ctx, 'create', undefined, user);
    batch.free -= 1;
    batch.taken.add(user.emailKey);
    batch.taken.add(nameKey);
    batch.users.push(user);
    return user;
  }

  /**
   * Writes the batch's users. Returns the users not written (a unique key another request took
   * since the batch read them) with their 409; their seats go back with the ones no user got.
   */
  async flushInvited(batch: InvitedUserBatch): Promise<Map<string, unknown>> {
    const users = batch.users.splice(0);
    const notWritten = new Map<string, unknown>();
    let clashes: Map<string, DuplicateKeyError>;
    try {
      clashes = await this.repo.insertMany(users);
    } catch (err) {
      // Which users were written is unknown: only the seats no user got go back (a recount repairs the rest).
      await this.giveBackBatchSeats(batch, batch.free);
      throw err;
    }
    for (const user of users) {
      const clash = clashes.get(user._id);
      if (!clash) continue;
      const email = signInEmail({ userName: user.userName, emails: user.emails ?? [] });
      notWritten.set(
        user._id,
        await uniquenessError(clash, {
          resource: 'User',
          userName: user.userName,
          email,
          taken: () => this.repo.takenKey(batch.ctx.orgId, user._id, user.userName.toLowerCase(), email ?? `~none:${user._id}`),
        }),
      );
    }
    await this.giveBackBatchSeats(batch, batch.free + notWritten.size);
    const written = users.filter((u) => !notWritten.has(u._id));
    for (const user of written) if (user.pendingEvents?.length) this.eventSink?.notify('User', user._id, user.orgId, user.pendingEvents);
    await this.audit.recordMany(
      written.map((user) => ({
        orgId: batch.ctx.orgId,
        at: user.lastModified,
        actor: batch.ctx.actor,
        action: 'user.created' as const,
        target: { type: 'User' as const, id: user._id, userName: user.userName },
        changes: diffUsers(undefined, user),
        requestId: batch.ctx.requestId,
      })),
    );
    return notWritten;
  }

  /** Drops a batch that will not be written (its run lost the job to another): every seat it took goes back. */
  async discardInvited(batch: InvitedUserBatch): Promise<void> {
    const users = batch.users.splice(0);
    await this.giveBackBatchSeats(batch, batch.free + users.length);
  }

  private async giveBackBatchSeats(batch: InvitedUserBatch, count: number): Promise<void> {
    const holds = batch.holds.splice(0);
    batch.free = 0;
    for (const [i, hold] of holds.entries()) await hold.giveBack(i === 0 ? count : 0);
  }

  /**
   * Completes onboarding: an invited user becomes active with its password and `onboardedAt`.
   * 410 when the user is no longer invited (deleted, suspended or already active). Both states
   * hold a seat, so no seat moves.
   */
  async activateInvited(ctx: RequestContext, id: string, passwordHash: string): Promise<UserRecord> {
    const gone = (status: string) => new ScimError(410, `this invitation is no longer valid: the user is ${status}`);
    return this.writeUser(
      ctx,
      id,
      (current, now) => {
        if (current.status !== 'invited') throw gone(current.status);
        return { ...current, status: 'active', active: true, passwordHash, onboardedAt: now };
      },
      { missing: () => gone('gone') },
    );
  }

  /** Cancels an invitation: the invited user is removed for good (seat released); its audit trail stays. */
  async cancelInvited(ctx: RequestContext, id: string): Promise<void> {
    const current = await this.get(ctx, id);
    if (current.status !== 'invited') {
      throw new ScimError(409, `User ${id} is not invited (status "${current.status}"): there is no invitation to cancel`);
    }
    await this.remove(ctx, id, `W/"${current.version}"`);
    await this.removePermanently(ctx, id);
  }
}

/** Invited users being added together (UserService.openInvitedBatch). */
export interface InvitedUserBatch {
  ctx: RequestContext;
  org: OrganizationRecord;
  /** Sign-in email keys stored users hold (read at open), and the userName and email keys of the batch's users. */
  taken: Set<string>;
  /** How many users the batch may still add: the most seats one take asks for. */
  room: number;
  /** Seats taken for the batch that no user got yet. */
  free: number;
  holds: { count: number; used: number; giveBack(n: number): Promise<void> }[];
  /** The organization had no seat left when the batch asked. */
  full?: { used: number };
  users: UserRecord[];
}

export { badRequest };

/** A new user in status `invited` (docs/behaviour.md "User lifecycle"), before any rule is checked. */
function invitedRecord(orgId: string, id: string, input: ReturnType<typeof parseUserResource>, invitedAt: Date): UserRecord {
  return {
    _id: id,
    orgId,
    ...recordFieldsFrom(input, id),
    active: true,
    status: 'invited',
    invitedAt,
    created: invitedAt,
    lastModified: invitedAt,
    version: 1,
  };
}
