import type { Clock } from './context.js';
import type { OrganizationService } from './organizations.js';
import type { IssuedToken, TokenService } from './tokens.js';

export interface BootstrapResult {
  organizationId: string;
  scimToken: IssuedToken;
  adminToken: IssuedToken;
}

/**
 * First start of an empty deployment with no operator token configured:
 * a `default` organization and one scim and one admin token, so a newcomer
 * can call the API at once. Claimed through a unique marker, so two
 * processes starting together bootstrap once.
 */
export async function bootstrapIfEmpty(
  clock: Clock,
  organizations: OrganizationService,
  tokens: TokenService,
): Promise<BootstrapResult | undefined> {
  if ((await organizations.repo.count()) > 0) return undefined;
  const claimed = await organizations.claimOnce('bootstrap', { at: clock.now().toISOString() }, clock.now());
  if (!claimed) return undefined;
  const org = await organizations.create({
    name: 'default',
    domains: [],
    allowSubdomains: false,
    seatLimit: null,
    roleMode: 'single',
    companies: [],
    retentionDays: 30,
    invitationTtlHours: 168,
  });
  const scimToken = await tokens.issue(org.id, 'bootstrap scim token', ['scim']);
  const adminToken = await tokens.issue(org.id, 'bootstrap admin token', ['admin']);
  return { organizationId: org.id, scimToken, adminToken };
}
