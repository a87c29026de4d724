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
 * Effective roles (docs/architecture.md "Groups and memberships", README "Roles"): the direct ones
 * (SCIM `roles`, e.g. Entra app roles) plus those of bound groups the user is in. In `single` mode the
 * highest precedence wins; in `multiple` mode every one is listed. A direct value that names no role
 * of the organization is passed through as sent and takes no part in precedence. The organization's
 * defaultRole applies only when the user would otherwise have no role at all: a direct assignment
 * from the identity provider is the user's role set, even when it names roles Roster does not know.
 * What the client sent with a direct value (`type`, `primary`, true or false) reads back unchanged.
 */
export function effectiveRoles(org: OrganizationRecord, direct: MultiValue[] | undefined, groupRoleKeys: string[]): RoleValue[] {
  const known = new Map<string, RoleRecord>();
  const sent = new Map<string, MultiValue>();
  const passthrough: RoleValue[] = [];
  for (const value of direct ?? []) {
    const role = typeof value.value === 'string' ? findRole(org, value.value) : undefined;
    if (role) {
      known.set(role.key, role);
      if (!sent.has(role.key)) sent.set(role.key, value);
    } else if (value.value !== undefined) {
      passthrough.push(withClientFlags({ value: String(value.value), ...(value.display !== undefined ? { display: value.display } : {}) }, value));
    }
  }
  for (const key of groupRoleKeys) {
    const role = org.roles.find((r) => r.key === key);
    if (role) known.set(role.key, role);
  }
  let roles = [...known.values()].sort((a, b) => b.precedence - a.precedence || a.key.localeCompare(b.key));
  if (org.roleMode === 'single') roles = roles.slice(0, 1);
  if (roles.length === 0 && passthrough.length === 0) {
    const fallback = org.roles.find((r) => r.key === org.defaultRole);
    if (fallback) roles = [fallback];
  }
  return [
    ...roles.map((r) => {
      const from = sent.get(r.key);
      const v: RoleValue = { value: r.key, display: r.name };
      return from ? withClientFlags(v, from) : v;
    }),
    ...passthrough,
  ];
}

function withClientFlags(v: RoleValue, from: MultiValue): RoleValue {
  if (from.type !== undefined) v.type = from.type;
  if (typeof from.primary === 'boolean') v.primary = from.primary;
  return v;
}
