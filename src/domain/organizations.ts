import { z } from 'zod';
import type { MetaRepository } from '../store/meta.repository.js';
import type { Repositories } from '../store/repositories.js';
import type { OrganizationRepository, OrganizationRecord, RoleRecord } from '../store/organization.repository.js';
import type { Clock } from './context.js';
import { newId } from '../ids.js';
import { notFound } from '../scim/errors.js';

/** docs/behaviour.md "Tenancy": `admin` ("Admin") and `user` ("Standard user", the default role). */
export const DEFAULT_ROLES: RoleRecord[] = [
  { key: 'admin', name: 'Admin', precedence: 100, permissions: ['manage_users'] },
  { key: 'user', name: 'Standard user', precedence: 10, permissions: [] },
];

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a domain name such as example.com');

export const createOrganizationInput = z.object({
  name: z.string().trim().min(1).max(200),
  domains: z.array(domainName).max(100).default([]),
  allowSubdomains: z.boolean().default(false),
  seatLimit: z.number().int().min(0).nullable().default(null),
  roleMode: z.enum(['single', 'multiple']).default('single'),
  companies: z.array(z.string().trim().min(1).max(200)).max(1000).default([]),
  retentionDays: z.number().int().min(1).max(3650).default(30),
  invitationTtlHours: z.number().int().min(1).max(24 * 90).default(168),
});

export type CreateOrganizationInput = z.infer<typeof createOrganizationInput>;

/** The side API's organization: the stored one with `id` for `_id` and ISO times. */
export type OrganizationView = Omit<OrganizationRecord, '_id' | 'created' | 'lastModified'> & {
  id: string;
  created: string;
  lastModified: string;
};

export function toOrganizationView(org: OrganizationRecord): OrganizationView {
  return {
    id: org._id,
    name: org.name,
    domains: org.domains,
    allowSubdomains: org.allowSubdomains,
    seatLimit: org.seatLimit,
    roleMode: org.roleMode,
    roles: org.roles,
    defaultRole: org.defaultRole,
    companies: org.companies,
    retentionDays: org.retentionDays,
    invitationTtlHours: org.invitationTtlHours,
    created: org.created.toISOString(),
    lastModified: org.lastModified.toISOString(),
  };
}

export class OrganizationService {
  private readonly meta: MetaRepository;
  readonly repo: OrganizationRepository;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
  ) {
    this.repo = repos.organizations;
    this.meta = repos.meta;
  }

  /** Claims a once-per-deployment marker (e.g. the bootstrap); false when another process claimed it first. */
  async claimOnce(key: string, value: Record<string, unknown>, at: Date): Promise<boolean> {
    return this.meta.claim(key, value, at);
  }

  async create(input: CreateOrganizationInput): Promise<OrganizationView> {
    const now = this.clock.now();
    const org: OrganizationRecord = {
      _id: newId(),
      name: input.name,
      domains: [...new Set(input.domains)],
      allowSubdomains: input.allowSubdomains,
      seatLimit: input.seatLimit,
      roleMode: input.roleMode,
      roles: DEFAULT_ROLES.map((r) => ({ ...r, permissions: [...r.permissions] })),
      defaultRole: 'user',
      companies: input.companies,
      retentionDays: input.retentionDays,
      invitationTtlHours: input.invitationTtlHours,
      created: now,
      lastModified: now,
    };
    await this.repo.insert(org);
    return toOrganizationView(org);
  }

  async get(id: string): Promise<OrganizationRecord> {
    const org = await this.repo.findById(id);
    if (!org) throw notFound(`organization ${id} not found`);
    return org;
  }

  async list(skip: number, limit: number): Promise<{ total: number; items: OrganizationView[] }> {
    const [total, items] = await Promise.all([this.repo.count(), this.repo.list(skip, limit)]);
    return { total, items: items.map(toOrganizationView) };
  }
}
