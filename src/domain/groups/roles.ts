import type { OrganizationRecord, RoleRecord } from '../../store/organization.repository.js';
import type { MultiValue } from '../../store/user.repository.js';

/** A role as the SCIM User's `roles` shows it: value = role key, display = role name. */
export interface RoleValue {
  value: string;
  display?: string;
  type?: string;
  primary?: boolean;
}

/** The organization's role named by key or by display name, in any letter case. */
export function findRole(org: Pick<OrganizationRecord, 'roles'>, text: string): RoleRecord | undefined {
  const wanted = text.trim().toLowerCase();
  return org.roles.find((r) => r.key.toLowerCase() === wanted) ?? org.roles.find((r) => r.name.toLowerCase() === wanted);
}

/**
 * PRODUCT.md "Roles and groups": effective roles are the direct ones (SCIM `roles`, e.g. Entra app
 * roles) plus those of bound groups the user is in. In `single` mode the highest precedence wins; with
 * no role the organization's defaultRole applies. A direct value that names no role of the
 * organization is not a role Roster knows: it is passed through as sent and takes no part in
 * precedence or the default.
 */
export function effectiveRoles(org: OrganizationRecord, direct: MultiValue[] | undefined, groupRoleKeys: string[]): RoleValue[] {
  const known = new Map<string, RoleRecord>();
  const passthrough: RoleValue[] = [];
  for (const value of direct ?? []) {
    const role = typeof value.value === 'string' ? findRole(org, value.value) : undefined;
    if (role) known.set(role.key, role);
    else if (value.value !== undefined) {
      const v: RoleValue = { value: String(value.value) };
      if (value.display !== undefined) v.display = value.display;
      if (value.type !== undefined) v.type = value.type;
      if (value.primary) v.primary = true;
      passthrough.push(v);
    }
  }
  for (const key of groupRoleKeys) {
    const role = org.roles.find((r) => r.key === key);
    if (role) known.set(role.key, role);
  }
  let roles = [...known.values()].sort((a, b) => b.precedence - a.precedence || a.key.localeCompare(b.key));
  if (org.roleMode === 'single') roles = roles.slice(0, 1);
  if (roles.length === 0) {
    const fallback = org.roles.find((r) => r.key === org.defaultRole);
    if (fallback) roles = [fallback];
  }
  return [...roles.map((r) => ({ value: r.key, display: r.name })), ...passthrough];
}
