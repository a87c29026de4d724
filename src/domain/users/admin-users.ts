import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { queryInteger } from '../query-integer.js';
import type { OrganizationRecord } from '../../store/organization.repository.js';
import type { EmailValue, UserRecord, UserStatus } from '../../store/user.repository.js';
import { badRequest, notFound } from '../../scim/errors.js';
import { parseCondition, type Condition } from '../../scim/filter.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import type { RequestContext } from '../context.js';
import { findRole, type RoleValue } from '../groups/roles.js';
import { signInEmail } from './user.mapper.js';
import type { PresentedUser, UserService } from './user.service.js';

/**
 * The administrators' Users screen (docs/behaviour.md "Side API"): three tabs,
 * search, a role filter, direct creation with a temporary password, edit, suspend and activate.
 * Every write goes through UserService, so the domain, seat, uniqueness and audit rules are the
 * SCIM ones.
 */

/** docs/behaviour.md "Side API": active users have completed onboarding (suspended ones included, shown by status). */
export const TABS = {
  active: ['active', 'suspended'],
  pending: ['invited'],
  deleted: ['deleted'],
} as const satisfies Record<string, readonly UserStatus[]>;
export type Tab = keyof typeof TABS;

/** The users of a tab: their status is one of the tab's. */
function tabCondition(tab: Tab): Condition {
  return { kind: 'in', field: 'status', values: [...TABS[tab]] };
}

export function tabOf(status: UserStatus): Tab {
  return status === 'invited' ? 'pending' : status === 'deleted' ? 'deleted' : 'active';
}

/** Sort keys, each the last key but one of an index that starts with (orgId, status). */
const SORT_FIELDS = {
  name: 'displayNameKey',
  email: 'userName',
  created: 'created',
  lastModified: 'lastModified',
} as const;

export const listQuery = z
  .object({
    tab: z.enum(['active', 'pending', 'deleted']).default('active'),
    search: z.string().trim().max(200).optional(),
    role: z.string().trim().min(1).max(200).optional(),
    sortBy: z.enum(['name', 'email', 'created', 'lastModified']).default('created'),
    sortOrder: z.enum(['ascending', 'descending']).default('ascending'),
    offset: queryInteger((n) => n.int().min(0).max(1_000_000).default(0)),
    limit: queryInteger((n) => n.int().min(1).max(200).default(50)),
  })
  .strict();
export type ListQuery = z.infer<typeof listQuery>;

const password = z.string().min(8, 'must be at least 8 characters').max(1024);
const text = z.string().trim().min(1).max(200);

export const createInput = z
  .object({
    email: z.email().max(256),
    name: text.optional(),
    role: text.optional(),
    company: text.optional(),
    /** When absent, Roster generates one and returns it once. */
    temporaryPassword: password.optional(),
  })
  .strict();
export type CreateInput = z.infer<typeof createInput>;

/** `null` clears name, role or company; an absent field is left as it is. */
export const editInput = z
  .object({
    email: z.email().max(256).optional(),
    name: text.nullable().optional(),
    role: text.nullable().optional(),
    company: text.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one of email, name, role, company' });
export type EditInput = z.infer<typeof editInput>;

export interface AdminUserView {
  id: string;
  userName: string;
  email: string | null;
  name: string | null;
  /** The effective role: in `single` mode the only one, else the one of highest precedence. */
  role: string | null;
  roles: RoleValue[];
  company: string | null;
  status: UserStatus;
  tab: Tab;
  mustChangePassword: boolean;
  externalId?: string;
  invitedAt?: string;
  onboardedAt?: string;
  deletedAt?: string;
  created: string;
  lastModified: string;
  version: number;
}

export interface TabCounts {
  active: number;
  pending: number;
  deleted: number;
}

export interface AdminUserPage {
  tabs: TabCounts;
  tab: Tab;
  total: number;
  offset: number;
  limit: number;
  items: AdminUserView[];
}

function primaryEmail(user: UserRecord): string | null {
  const emails = user.emails ?? [];
  const chosen = emails.find((e) => e.primary) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  return chosen?.value ?? (user.userName.includes('@') ? user.userName : null);
}

export function toAdminView(user: PresentedUser): AdminUserView {
  const roles: RoleValue[] = (user.derived?.roles ?? []).map((r) => ({
    value: String(r.value),
    ...(r.display !== undefined ? { display: r.display } : {}),
  }));
  const view: AdminUserView = {
    id: user._id,
    userName: user.userName,
    email: primaryEmail(user),
    name: user.displayName ?? user.name?.formatted ?? ([user.name?.givenName, user.name?.familyName].filter(Boolean).join(' ') || null),
    role: roles[0]?.value ?? null,
    roles,
    company: user.enterprise?.organization ?? null,
    status: user.status,
    tab: tabOf(user.status),
    mustChangePassword: Boolean(user.mustChangePassword),
    created: user.created.toISOString(),
    lastModified: user.lastModified.toISOString(),
    version: user.version,
  };
  if (user.externalId !== undefined) view.externalId = user.externalId;
  if (user.invitedAt) view.invitedAt = user.invitedAt.toISOString();
  if (user.onboardedAt) view.onboardedAt = user.onboardedAt.toISOString();
  if (user.deletedAt) view.deletedAt = user.deletedAt.toISOString();
  return view;
}

/** A temporary password: 18 random bytes, URL-safe (24 characters). */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

function checkRole(org: OrganizationRecord, role: string): string {
  const found = findRole(org, role);
  if (!found) {
    throw badRequest('invalidValue', `role: "${role}" is not a role of this organization (${org.roles.map((r) => r.key).join(', ')})`);
  }
  return found.key;
}

function checkCompany(org: OrganizationRecord, company: string): void {
  if (org.companies.length > 0 && !org.companies.includes(company)) {
    throw badRequest('invalidValue', `company: "${company}" is not one of the organization's companies (${org.companies.join(', ')})`);
  }
}

export class AdminUsers {
  constructor(private readonly users: UserService) {}

  private async org(ctx: RequestContext): Promise<OrganizationRecord> {
    return this.users.organization(ctx);
  }

  /**
   * One page of a tab, and the count of every tab (unfiltered, as the tab labels show them).
   * Search matches part of the name or of an email address, in any letter case; the role filter
   * matches direct roles and roles granted by a bound group, like SCIM `roles.value eq`.
   */
  async list(ctx: RequestContext, q: ListQuery): Promise<AdminUserPage> {
    const conditions: Condition[] = [tabCondition(q.tab)];
    if (q.search) {
      // A value, never a pattern: store/ escapes it. The *Key fields are lower-cased, so compared exactly.
      const lower = q.search.toLowerCase();
      const contains = (field: string, caseExact: boolean, value: string): Condition => ({ kind: 'compare', attribute: field, field, caseExact, op: 'co', value });
      conditions.push({
        kind: 'or',
        conditions: [
          contains('displayNameKey', true, lower),
          contains('emails.valueKey', true, lower),
          contains('userName', false, q.search),
          contains('name.formatted', false, q.search),
          contains('name.givenName', false, q.search),
          contains('name.familyName', false, q.search),
        ],
      });
    }
    if (q.role) {
      const key = checkRole(await this.org(ctx), q.role);
      conditions.push(await this.users.resolveFilter(ctx, parseCondition(`roles.value eq ${JSON.stringify(key)}`, 'User')));
    }
    const filter: Condition = conditions.length === 1 ? conditions[0]! : { kind: 'and', conditions };
    const direction = q.sortOrder === 'descending' ? -1 : 1;
    const sort = { [SORT_FIELDS[q.sortBy]]: direction, _id: direction } as Record<string, 1 | -1>;
    const [items, total, tabs] = await Promise.all([
      this.users.listAny(ctx, { filter, sort, skip: q.offset, limit: q.limit }),
      this.users.countAny(ctx, filter),
      this.tabCounts(ctx),
    ]);
    const presented = await this.users.present(ctx, items);
    return { tabs, tab: q.tab, total, offset: q.offset, limit: q.limit, items: presented.map(toAdminView) };
  }

  /** Three counts, each on the (orgId, status) prefix of an index. */
  async tabCounts(ctx: RequestContext): Promise<TabCounts> {
    const [active, pending, deleted] = await Promise.all(
      (Object.keys(TABS) as Tab[]).map((tab) => this.users.countAny(ctx, tabCondition(tab))),
    );
    return { active: active!, pending: pending!, deleted: deleted! };
  }

  /** Any user, recently deleted ones included (the Recently deleted tab opens them too). */
  async get(ctx: RequestContext, id: string): Promise<AdminUserView> {
    const user = await this.users.findAny(ctx, id);
    if (!user) throw notFound(`User ${id} not found`);
    return toAdminView(await this.users.presentOne(ctx, user));
  }

  /**
   * docs/behaviour.md "User lifecycle": an active user with a temporary password, which sign-in asks to change first.
   * The generated password is returned once and never stored in clear.
   */
  async create(ctx: RequestContext, input: CreateInput): Promise<{ user: AdminUserView; temporaryPassword?: string }> {
    const org = await this.org(ctx);
    const role = input.role === undefined ? undefined : checkRole(org, input.role);
    if (input.company !== undefined) checkCompany(org, input.company);
    const generated = input.temporaryPassword === undefined ? generatePassword() : undefined;
    const body: Record<string, unknown> = {
      userName: input.email,
      emails: [{ value: input.email, type: 'work', primary: true }],
      password: input.temporaryPassword ?? generated,
      ...(input.name ? { displayName: input.name, name: { formatted: input.name } } : {}),
      ...(role ? { roles: [{ value: role, primary: true }] } : {}),
      ...(input.company ? { [SCHEMA_URN.enterpriseUser]: { organization: input.company } } : {}),
    };
    const user = await this.users.create(ctx, body, { mustChangePassword: true });
    const view = toAdminView(await this.users.presentOne(ctx, user));
    return generated === undefined ? { user: view } : { user: view, temporaryPassword: generated };
  }

  /**
   * docs/behaviour.md "Side API": edit name, email, role and company. A new email replaces the primary one, and the
   * userName too when it was the old email (the usual case for users created here).
   */
  async edit(ctx: RequestContext, id: string, input: EditInput, ifMatch?: string): Promise<AdminUserView> {
    const org = await this.org(ctx);
    const role = typeof input.role === 'string' ? checkRole(org, input.role) : input.role;
    if (typeof input.company === 'string') checkCompany(org, input.company);
    // If-Match: a page showing an older version must not overwrite a change it never saw (412).
    const user = await this.users.applyChange(ctx, id, (current) => {
      const next: Partial<UserRecord> = {};
      if (input.name !== undefined) {
        if (input.name === null) {
          next.displayName = undefined;
          next.displayNameKey = undefined;
          next.name = current.name ? withoutFormatted(current.name) : undefined;
        } else {
          next.displayName = input.name;
          next.displayNameKey = input.name.toLowerCase();
          next.name = { ...(current.name ?? {}), formatted: input.name };
        }
      }
      if (role !== undefined) next.roles = role === null ? undefined : [{ value: role, primary: true }];
      if (input.company !== undefined) {
        const enterprise = { ...(current.enterprise ?? {}) };
        if (input.company === null) delete enterprise.organization;
        else enterprise.organization = input.company;
        next.enterprise = Object.keys(enterprise).length > 0 ? enterprise : undefined;
      }
      if (input.email !== undefined) Object.assign(next, withEmail(current, input.email));
      return next;
    }, ifMatch);
    return toAdminView(await this.users.presentOne(ctx, user));
  }

  /** docs/behaviour.md "User lifecycle": suspending blocks sign-in at once (sessions end through UserService's access-ended hook). */
  async suspend(ctx: RequestContext, id: string): Promise<AdminUserView> {
    const user = await this.users.applyChange(ctx, id, (current) =>
      current.status === 'suspended' ? undefined : { status: 'suspended' as const },
    );
    return toAdminView(await this.users.presentOne(ctx, user));
  }

  /**
   * Gives access back, under the seat and domain rules. A user suspended before accepting its
   * invitation (no password, never onboarded) goes back to invited, not active.
   */
  async activate(ctx: RequestContext, id: string): Promise<AdminUserView> {
    const user = await this.users.applyChange(ctx, id, (current) => {
      if (current.status !== 'suspended') return undefined;
      const neverOnboarded = current.invitedAt !== undefined && current.onboardedAt === undefined && current.passwordHash === undefined;
      return { status: neverOnboarded ? ('invited' as const) : ('active' as const) };
    });
    return toAdminView(await this.users.presentOne(ctx, user));
  }
}

function withoutFormatted(name: Record<string, string>): Record<string, string> | undefined {
  const { formatted: _f, ...rest } = name;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The fields that change with a new sign-in email. */
function withEmail(current: UserRecord, email: string): Partial<UserRecord> {
  const old = signInEmail({ userName: current.userName, emails: current.emails ?? [] });
  const emails: EmailValue[] = [...(current.emails ?? [])];
  const index = Math.max(
    emails.findIndex((e) => e.primary),
    emails.length > 0 && !emails.some((e) => e.primary) ? 0 : -1,
  );
  const value: EmailValue = { value: email, valueKey: email.toLowerCase(), type: 'work', primary: true };
  if (index >= 0) emails[index] = { ...emails[index]!, value: email, valueKey: email.toLowerCase(), primary: true };
  else emails.unshift(value);
  const userNameFollows = old !== undefined && current.userName.toLowerCase() === old;
  const userName = userNameFollows ? email : current.userName;
  const next: Partial<UserRecord> = { emails, userName, userNameKey: userName.toLowerCase() };
  next.emailKey = signInEmail({ userName, emails }) ?? `~none:${current._id}`;
  return next;
}
