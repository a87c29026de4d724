import type { AuditChange } from '../../store/audit.repository.js';
import type { GroupRecord } from '../../store/group.repository.js';

/**
 * Member ids listed in one audit entry. Above this, the entry records the count instead
 * (`members` with `{count}`): replacing the members of a group of 100,000 must not write
 * an audit entry of 100,000 ids.
 */
export const MAX_AUDITED_MEMBER_IDS = 100;

/** The audited attributes of a group: its SCIM attributes without members, and the bound role. */
function audited(group: GroupRecord | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!group) return out;
  out.set('displayName', group.displayName);
  if (group.externalId !== undefined) out.set('externalId', group.externalId);
  if (group.roleKey !== undefined) out.set('role', group.roleKey);
  return out;
}

/**
 * What changed between two versions of a group (either may be absent: created, deleted), as
 * attribute paths with old and new values (null when absent). `role` is the bound role's key.
 * Members are not part of it: they are recorded by memberChanges.
 */
export function diffGroups(before: GroupRecord | undefined, after: GroupRecord | undefined): AuditChange[] {
  const a = audited(before);
  const b = audited(after);
  const changes: AuditChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const old = a.get(path) ?? null;
    const next = b.get(path) ?? null;
    if (old !== next) changes.push({ path, old, new: next });
  }
  return changes;
}

/**
 * Members added (old null, new the user id) or removed (old the user id, new null), one change per
 * member up to MAX_AUDITED_MEMBER_IDS; above it one change `members` with `{count: n}`.
 */
export function memberChanges(kind: 'added' | 'removed', ids: string[]): AuditChange[] {
  if (ids.length > MAX_AUDITED_MEMBER_IDS) {
    const count = { count: ids.length };
    return [kind === 'added' ? { path: 'members', old: null, new: count } : { path: 'members', old: count, new: null }];
  }
  return ids.map((id) => (kind === 'added' ? { path: 'members', old: null, new: id } : { path: 'members', old: id, new: null }));
}
