import { z } from 'zod';
import type { Repositories } from '../store/repositories.js';
import type { GroupRepository } from '../store/group.repository.js';
import { type OrganizationRepository, type OrganizationRecord } from '../store/organization.repository.js';
import { ScimError, badRequest, notFound } from '../scim/errors.js';
import type { AuditService } from './audit/audit.service.js';
import type { Clock, RequestContext } from './context.js';
import { toOrganizationView, type OrganizationView } from './organizations.js';

/** The permission Roster knows (docs/behaviour.md "Tenancy"); a role grants a permission by listing it. */
export const MANAGE_USERS = 'manage_users';

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a domain name such as example.com');

const roleInput = z
  .object({
    key: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected lower-case letters, digits, "_" or "-"'),
    name: z.string().trim().min(1).max(200),
    precedence: z.number().int().min(0).max(1_000_000),
    permissions: z.array(z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'expected a permission name such as manage_users')).max(100).default([]),
  })
  .strict();

export const organizationSettingsPatch = z
  .object({
    name: z.string().trim().min(1).max(200),
    domains: z.array(domainName).max(100),
    allowSubdomains: z.boolean(),
    seatLimit: z.number().int().min(0).nullable(),
    roleMode: z.enum(['single', 'multiple']),
    roles: z.array(roleInput).min(1).max(100),
    defaultRole: z.string().trim().min(1),
    companies: z.array(z.string().trim().min(1).max(200)).max(1000),
    retentionDays: z.number().int().min(1).max(3650),
    invitationTtlHours: z.number().int().min(1).max(24 * 90),
  })
  .partial()
  .strict();

export type OrganizationSettingsPatch = z.infer<typeof organizationSettingsPatch>;

/**
 * The caller's organization settings (side API, scope `admin`). A PATCH is checked as a whole
 * against the settings it would produce: role keys unique, the default role one of the roles, at
 * least one role granting manage_users, and no role removed while a group is bound to it.
 */
export class OrganizationSettingsService {
  private readonly repo: OrganizationRepository;
  private readonly groups: GroupRepository;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {
    this.repo = repos.organizations;
    this.groups = repos.groups;
  }

  async get(ctx: RequestContext): Promise<OrganizationView> {
    return toOrganizationView(await this.find(ctx.orgId));
  }

  async update(ctx: RequestContext, patch: OrganizationSettingsPatch): Promise<OrganizationView> {
    // Read-check-write per organization, serialized in-process (keyed-mutex.ts).
    return this.repo.exclusive(ctx.orgId, async () => {
      const current = await this.find(ctx.orgId);
      const next: OrganizationRecord = { ...current };
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
      }
      if (patch.domains) next.domains = [...new Set(patch.domains)];
      const keys = next.roles.map((r) => r.key);
      const duplicate = keys.findIndex((k, i) => keys.indexOf(k) !== i);
      if (duplicate >= 0) throw badRequest('invalidValue', `roles.${duplicate}.key: "${keys[duplicate]}" is used by another role`);
      if (!keys.includes(next.defaultRole)) {
        throw badRequest('invalidValue', `defaultRole: "${next.defaultRole}" is not one of the roles (${keys.join(', ')})`);
      }
      if (!next.roles.some((r) => r.permissions.includes(MANAGE_USERS))) {
        throw badRequest('invalidValue', `roles: at least one role must grant ${MANAGE_USERS}`);
      }
      const removed = current.roles.map((r) => r.key).filter((k) => !keys.includes(k));
      const bound = await this.groups.findBoundTo(ctx.orgId, removed);
      if (bound.length > 0) {
        throw new ScimError(409, `roles: role "${bound[0]!.roleKey}" is bound to group "${bound[0]!.displayName}"; unbind it first`);
      }
      const changes = Object.keys(patch)
        .filter((k) => JSON.stringify((current as unknown as Record<string, unknown>)[k]) !== JSON.stringify((next as unknown as Record<string, unknown>)[k]))
        .map((k) => ({ path: k, old: (current as unknown as Record<string, unknown>)[k] ?? null, new: (next as unknown as Record<string, unknown>)[k] ?? null }));
      if (changes.length === 0) return toOrganizationView(current);
      next.lastModified = this.clock.now();
      const { _id, created: _c, ...set } = next;
      if (!(await this.repo.updateSettings(_id, set))) throw notFound(`organization ${ctx.orgId} not found`);
      await this.audit.recordFor(ctx, next.lastModified, 'organization.updated', { type: 'Organization', id: ctx.orgId }, changes);
      return toOrganizationView(next);
    });
  }

  private async find(orgId: string): Promise<OrganizationRecord> {
    const org = await this.repo.findById(orgId);
    if (!org) throw notFound(`organization ${orgId} not found`);
    return org;
  }
}
