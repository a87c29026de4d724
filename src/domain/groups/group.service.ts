import type { Repositories } from '../../store/repositories.js';
import type { AuditAction, AuditChange } from '../../store/audit.repository.js';
import { DuplicateKeyError } from '../../store/errors.js';
import { type GroupRepository, unboundKey, type GroupRecord } from '../../store/group.repository.js';
import { type MembershipRepository } from '../../store/membership.repository.js';
import { type OrganizationRepository, type OrganizationRecord } from '../../store/organization.repository.js';
import { type UserRepository } from '../../store/user.repository.js';
import { badRequest, notFound } from '../../scim/errors.js';
import { applyOperations } from '../../scim/patch.js';
import { AuditService } from '../audit/audit.service.js';
import { diffGroups, memberChanges } from '../audit/group-diff.js';
import type { Clock, RequestContext } from '../context.js';
import { newId } from '../../ids.js';
import { retryOnConflict, RETRY, uniquenessError } from '../write.js';
import { checkIfMatch } from '../../scim/etag.js';
import { groupEvent, stampGroupEvent, type EventSink } from '../events/record.js';
import { groupToScim, parseGroupResource, type GroupInput } from './group.mapper.js';
import { splitGroupPatch, type MemberOp } from './group-patch.js';
import { equalityValue, idsCondition, MAX_MEMBERSHIP_FILTER_IDS, membershipField } from './membership-filter.js';
import { mapLeaves, type Condition } from '../../scim/filter.js';


export interface GroupListQuery {
  filter: Condition;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
}

/** A group with its members' ids when they were read (undefined: not asked for, not read). */
export interface GroupView {
  group: GroupRecord;
  members?: string[];
}

/** A role as the side API lists it, with the group whose members get it (GET /api/v1/roles). */
export interface RoleWithGroup {
  key: string;
  name: string;
  precedence: number;
  permissions: string[];
  isDefault: boolean;
  group: { id: string; displayName: string } | null;
}

export class GroupService {
  readonly repo: GroupRepository;
  readonly memberships: MembershipRepository;
  private readonly users: UserRepository;
  private readonly orgs: OrganizationRepository;
  /** Told after every write that carries an event (container.ts wires the EventService). */
  eventSink: EventSink | undefined;

  constructor(
    repos: Repositories,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.repo = repos.groups;
    this.memberships = repos.memberships;
    this.users = repos.users;
    this.orgs = repos.organizations;
  }

  private async org(orgId: string): Promise<OrganizationRecord> {
    const org = await this.orgs.findById(orgId);
    if (!org) throw notFound(`organization ${orgId} not found`);
    return org;
  }

  toScim(view: GroupView, ctx: RequestContext): Record<string, unknown> {
    return groupToScim(view.group, ctx.scimBaseUrl, view.members);
  }

  async get(ctx: RequestContext, id: string): Promise<GroupRecord> {
    const group = await this.repo.find(ctx.orgId, id);
    if (!group) throw notFound(`Group ${id} not found`);
    return group;
  }

  /** The ids of the group's members, recently deleted users left out (they come back on restore). */
  async members(ctx: RequestContext, id: string): Promise<string[]> {
    const [ids, deleted] = await Promise.all([this.memberships.memberIds(ctx.orgId, id), this.users.deletedIds(ctx.orgId)]);
    return deleted.size === 0 ? ids : ids.filter((u) => !deleted.has(u));
  }

  /** Members of a page of groups, read in one query. */
  async membersOf(ctx: RequestContext, groupIds: string[]): Promise<Map<string, string[]>> {
    const [rows, deleted] = await Promise.all([this.memberships.ofGroups(ctx.orgId, groupIds), this.users.deletedIds(ctx.orgId)]);
    const out = new Map<string, string[]>(groupIds.map((g) => [g, []]));
    for (const row of rows) if (!deleted.has(row.userId)) out.get(row.groupId)?.push(row.userId);
    return out;
  }

  /** `members.value eq "u"`: the memberships of u, then the groups with those ids (membership-filter.ts). */
  async resolveFilter(ctx: RequestContext, filter: Condition): Promise<Condition> {
    return mapLeaves(filter, async (leaf) => {
      if (membershipField(leaf) !== 'memberIds') return undefined;
      const userId = equalityValue(leaf, 'members.value');
      if (!(await this.users.findVisible(ctx.orgId, userId))) return idsCondition([], 'members.value');
      return idsCondition(await this.memberships.groupIdsOf(ctx.orgId, userId, MAX_MEMBERSHIP_FILTER_IDS + 1), 'members.value');
    });
  }

  async count(ctx: RequestContext, filter: Condition): Promise<number> {
    return this.repo.count(ctx.orgId, await this.resolveFilter(ctx, filter));
  }

  async list(ctx: RequestContext, query: GroupListQuery): Promise<{ totalResults: number; items: GroupRecord[] }> {
    const filter = await this.resolveFilter(ctx, query.filter);
    const [totalResults, items] = await Promise.all([
      this.repo.count(ctx.orgId, filter),
      query.limit > 0 ? this.repo.list(ctx.orgId, { ...query, filter }) : Promise.resolve([]),
    ]);
    return { totalResults, items };
  }

  async create(ctx: RequestContext, body: unknown): Promise<GroupView> {
    const input = parseGroupResource(body);
    const members = input.members ?? [];
    await this.checkMembers(ctx, members);
    const org = await this.org(ctx.orgId);
    const id = newId();
    const now = this.clock.now();
    const group: GroupRecord = {
      _id: id,
      orgId: ctx.orgId,
      displayName: input.displayName,
      displayNameKey: input.displayName.toLowerCase(),
      roleBinding: unboundKey(id),
      created: now,
      lastModified: now,
      version: 1,
    };
    if (input.externalId !== undefined) group.externalId = input.externalId;
    // The create event names the members the request adds (written right after the group).
    if (this.eventSink?.wants(ctx.orgId)) group.pendingEvents = [groupEvent(ctx, 'create', undefined, group, { members: [...new Set(members)] })];
    // docs/behaviour.md "Roles and groups": a group named like a role is bound to it when created,
    // unless another group holds that role already (the unique index on roleBinding decides).
    const role = org.roles.find((r) => r.name.toLowerCase() === group.displayNameKey);
    if (role) {
      try {
        await this.repo.insert({ ...group, roleKey: role.key, roleBinding: role.key });
        group.roleKey = role.key;
        group.roleBinding = role.key;
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        await this.insertOrConflict(group);
      }
    } else {
      await this.insertOrConflict(group);
    }
    this.told(group);
    await this.record(ctx, 'group.created', id, diffGroups(undefined, group));
    if (members.length) {
      await this.memberships.add(ctx.orgId, id, members, now);
      await this.record(ctx, 'group.members_added', id, memberChanges('added', [...new Set(members)]));
    }
    return { group, members };
  }

  private async insertOrConflict(group: GroupRecord): Promise<void> {
    try {
      await this.repo.insert(group);
    } catch (err) {
      throw await uniquenessError(err, { resource: 'Group', displayName: group.displayName });
    }
  }

  /** Unknown (or deleted) member ids are invalidValue naming them, before anything is written. */
  private async checkMembers(ctx: RequestContext, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await this.users.visibleIds(ctx.orgId, ids);
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length) {
      const shown = unknown.slice(0, 20).map((id) => `"${id}"`).join(', ');
      throw badRequest('invalidValue', `no such User in this organization for member${unknown.length > 1 ? 's' : ''} ${shown}${unknown.length > 20 ? ` and ${unknown.length - 20} more` : ''}`);
    }
  }

  /**
   * PUT (RFC 7644 3.5.1): displayName and externalId are replaced. Members are replaced when the body
   * has "members" and kept when it has none: a PUT that only renames must not empty a group of
   * 100,000 members that the client never read.
   */
  async replace(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<GroupRecord> {
    const input = parseGroupResource(body);
    if (input.members) await this.checkMembers(ctx, input.members);
    const group = await this.update(ctx, id, ifMatch, 'put', () => input);
    if (input.members) {
      await this.applyMemberOps(ctx, id, [{ kind: 'replace', ids: input.members, index: 1 }]);
      return (await this.touch(ctx, id, 'put')) ?? group;
    }
    return group;
  }

  /**
   * PATCH: member operations go straight to the membership store (O(1) per member on any group),
   * the others through applyPatch on the group without members. Everything is validated first.
   */
  async patch(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<GroupRecord> {
    const split = splitGroupPatch(body);
    const current = await this.get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    const resultOf = (base: GroupRecord): GroupInput | undefined => {
      if (split.otherOps.length === 0) return undefined;
      const { resource, changed } = applyOperations(groupToScim(base, ctx.scimBaseUrl), split.otherOps, 'Group');
      return changed ? parseGroupResource(resource) : undefined;
    };
    // Validate everything before writing: the non-member operations on the current group, the member ids.
    resultOf(current);
    const added = split.memberOps.flatMap((op) => (op.kind === 'add' || op.kind === 'replace' ? op.ids : []));
    await this.checkMembers(ctx, [...new Set(added)]);

    let group = current;
    if (split.otherOps.length) group = await this.update(ctx, id, ifMatch, 'patch', resultOf);
    if (split.memberOps.length) {
      await this.applyMemberOps(ctx, id, split.memberOps);
      group = (await this.touch(ctx, id, 'patch')) ?? group;
    }
    return group;
  }

  /**
   * Member operations in request order; each add and remove is O(1) per member named. Audited
   * after the writes, even when a later operation fails: group.members_added with the ids the
   * add operations named (and replace added), group.members_removed with the ids removed.
   */
  private async applyMemberOps(ctx: RequestContext, groupId: string, ops: MemberOp[]): Promise<void> {
    const now = this.clock.now();
    const added = new Set<string>();
    const removed = new Set<string>();
    try {
      for (const op of ops) {
        switch (op.kind) {
          case 'add':
            await this.memberships.add(ctx.orgId, groupId, op.ids, now);
            for (const u of op.ids) added.add(u);
            break;
          case 'remove':
            await this.memberships.remove(ctx.orgId, groupId, op.ids);
            for (const u of op.ids) removed.add(u);
            break;
          case 'removeAll': {
            // Read once for the audit entry: the delete itself is as large.
            const currentIds = await this.memberships.memberIds(ctx.orgId, groupId);
            await this.memberships.removeGroup(ctx.orgId, groupId);
            for (const u of currentIds) removed.add(u);
            break;
          }
          case 'replace': {
            // Replacing all members reads them once: that is the size of the request's own answer.
            const keep = new Set(op.ids);
            const currentIds = await this.memberships.memberIds(ctx.orgId, groupId);
            const have = new Set(currentIds);
            const gone = currentIds.filter((u) => !keep.has(u));
            const fresh = op.ids.filter((u) => !have.has(u));
            await this.memberships.remove(ctx.orgId, groupId, gone);
            for (const u of gone) removed.add(u);
            await this.memberships.add(ctx.orgId, groupId, fresh, now);
            for (const u of fresh) added.add(u);
            break;
          }
        }
      }
    } finally {
      if (added.size) await this.record(ctx, 'group.members_added', groupId, memberChanges('added', [...added]));
      if (removed.size) await this.record(ctx, 'group.members_removed', groupId, memberChanges('removed', [...removed]));
    }
  }

  /**
   * A member change bumps the group's version; its event (the members changed, RFC 9967 2.4.2)
   * rides in that same update. The member writes come first, so a crash between them and this
   * update loses the event as it loses the version bump (docs/events.md "Known limits").
   */
  private async touch(ctx: RequestContext, id: string, kind: 'put' | 'patch'): Promise<GroupRecord | null> {
    const eventOf = this.eventSink?.wants(ctx.orgId)
      ? (after: GroupRecord) => groupEvent(ctx, kind, { ...after, version: after.version - 1 }, after, { membersChanged: true })
      : undefined;
    const group = await this.repo.touch(ctx.orgId, id, this.clock.now(), eventOf);
    if (group) this.told(group);
    return group;
  }

  /** After a write: the relay is told of the events the group now carries. */
  private told(group: GroupRecord): void {
    if (group.pendingEvents?.length) this.eventSink?.notify('Group', group._id, group.orgId, group.pendingEvents);
  }

  /** One audit entry about a group (AuditService.record never throws: the change stands). */
  private async record(ctx: RequestContext, action: AuditAction, groupId: string, changes: AuditChange[]): Promise<void> {
    await this.audit.recordFor(ctx, this.clock.now(), action, { type: 'Group', id: groupId }, changes);
  }

  private async update(
    ctx: RequestContext,
    id: string,
    ifMatch: string | undefined,
    kind: 'put' | 'patch',
    change: (current: GroupRecord) => GroupInput | undefined,
  ): Promise<GroupRecord> {
    return this.writeGroup(ctx, id, ifMatch, (current) => {
      const input = change(current);
      if (!input) return undefined;
      const next: GroupRecord = { ...current, displayName: input.displayName, displayNameKey: input.displayName.toLowerCase() };
      if (input.externalId !== undefined) next.externalId = input.externalId;
      else delete next.externalId;
      return next;
    }, kind);
  }

  /**
   * The one write path of an existing group's document (members live in the membership store): reads
   * it, checks If-Match (RFC 7644 3.14), asks `change` for the next record (undefined: no change) and
   * replaces it under the expected version, retrying on a concurrent change (retryOnConflict). A
   * unique-index clash is 409 (domain/write.ts); the audit entry says what changed. A SCIM write
   * (`kind`) stamps its lifecycle event into the document it writes and tells the relay
   * (docs/events.md); a role binding is no SCIM change and has none.
   */
  private async writeGroup(
    ctx: RequestContext,
    id: string,
    ifMatch: string | undefined,
    change: (current: GroupRecord) => GroupRecord | undefined,
    kind?: 'put' | 'patch',
  ): Promise<GroupRecord> {
    return retryOnConflict(`Group ${id}`, async () => {
      const current = await this.get(ctx, id);
      checkIfMatch(ifMatch, current.version);
      const next = change(current);
      if (!next) return current;
      next.lastModified = this.clock.now();
      next.version = current.version + 1;
      if (kind && diffGroups(current, next).length) stampGroupEvent(this.eventSink, ctx, kind, current, next);
      try {
        if (!(await this.repo.replace(ctx.orgId, current.version, next))) return RETRY;
      } catch (err) {
        throw await uniquenessError(err, { resource: 'Group', displayName: next.displayName, roleKey: next.roleKey === current.roleKey ? undefined : next.roleKey });
      }
      if (kind) this.told(next);
      if (next.roleKey !== current.roleKey) {
        await this.record(ctx, next.roleKey === undefined ? 'group.role_unbound' : 'group.role_bound', id, [
          { path: 'role', old: current.roleKey ?? null, new: next.roleKey ?? null },
        ]);
      } else {
        const changes = diffGroups(current, next);
        if (changes.length) await this.record(ctx, 'group.updated', id, changes);
      }
      return next;
    });
  }

  /** DELETE: the group and its memberships go; the roles it granted go with them (they are derived). */
  async remove(ctx: RequestContext, id: string, ifMatch?: string): Promise<void> {
    const current = await this.get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    // The group's document goes, so its event cannot travel in it: recorded first, confirmed by
    // the delete (EventService.beforeDelete); the events it still carries are handed on first.
    const event = this.eventSink?.wants(ctx.orgId) ? groupEvent(ctx, 'delete', current, current) : undefined;
    await this.eventSink?.flush('Group', id);
    if (event) await this.eventSink?.beforeDelete(ctx.orgId, event);
    const deleted = await this.repo.delete(ctx.orgId, id);
    if (event) await this.eventSink?.afterDelete(ctx.orgId, event, deleted);
    if (!deleted) throw notFound(`Group ${id} not found`);
    await this.memberships.removeGroup(ctx.orgId, id);
    await this.record(ctx, 'group.deleted', id, diffGroups(current, undefined));
  }

  // ---- roles (side API) ----

  /** The organization's roles, each with the group bound to it (null: none), in the organization's order. */
  async roleBindings(ctx: RequestContext): Promise<RoleWithGroup[]> {
    const org = await this.org(ctx.orgId);
    const bound = await this.repo.findBoundTo(ctx.orgId, org.roles.map((r) => r.key));
    return org.roles.map((r) => {
      const group = bound.find((g) => g.roleKey === r.key);
      return {
        key: r.key,
        name: r.name,
        precedence: r.precedence,
        permissions: [...r.permissions],
        isDefault: r.key === org.defaultRole,
        group: group ? { id: group._id, displayName: group.displayName } : null,
      };
    });
  }

  /** Binds the group to the role (docs/behaviour.md "Roles and groups"), unbinding the role's previous group. */
  async bindRole(ctx: RequestContext, roleKey: string, groupId: string): Promise<GroupRecord> {
    const org = await this.org(ctx.orgId);
    const role = org.roles.find((r) => r.key === roleKey);
    if (!role) throw notFound(`role "${roleKey}" not found`);
    await this.get(ctx, groupId);
    for (const previous of await this.repo.findBoundTo(ctx.orgId, [role.key])) {
      if (previous._id !== groupId) await this.setBinding(ctx, previous._id, undefined);
    }
    return this.setBinding(ctx, groupId, role.key);
  }

  async unbindRole(ctx: RequestContext, roleKey: string): Promise<void> {
    const org = await this.org(ctx.orgId);
    if (!org.roles.some((r) => r.key === roleKey)) throw notFound(`role "${roleKey}" not found`);
    for (const bound of await this.repo.findBoundTo(ctx.orgId, [roleKey])) await this.setBinding(ctx, bound._id, undefined);
  }

  private async setBinding(ctx: RequestContext, id: string, roleKey: string | undefined): Promise<GroupRecord> {
    return this.writeGroup(ctx, id, undefined, (current) => {
      if (current.roleKey === roleKey) return undefined;
      const next: GroupRecord = { ...current, roleBinding: roleKey ?? unboundKey(id) };
      if (roleKey === undefined) delete next.roleKey;
      else next.roleKey = roleKey;
      return next;
    });
  }
}

