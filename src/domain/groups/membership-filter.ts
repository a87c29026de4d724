import { badRequest } from '../../scim/errors.js';
import type { Condition } from '../../scim/filter.js';

/**
 * Filters on membership (`members.value` on Groups, `groups.value` and the group-granted part of
 * `roles.value` on Users) are resolved in two steps, because a group stores no member array and
 * there is no $lookup on FerretDB: the memberships are read first, and the condition becomes "the
 * resource id is one of these" (an `in` condition on `_id`). The id list is capped: a condition
 * that matches more resources than this is invalidFilter (RFC 7644 3.4.2.2 lets a server reject
 * filters it cannot answer), never a silent partial answer. List a big group's members through
 * GET /Groups/{id} instead.
 */
export const MAX_MEMBERSHIP_FILTER_IDS = 10_000;

/** The resources whose id is one of `ids`, or invalidFilter naming the attribute when more than the cap matched. */
export function idsCondition(ids: string[], attribute: string): Condition {
  if (ids.length > MAX_MEMBERSHIP_FILTER_IDS) {
    throw badRequest(
      'invalidFilter',
      `"${attribute}" matches more than ${MAX_MEMBERSHIP_FILTER_IDS} resources, more than a membership filter resolves; read the group's members through GET /Groups/{id}`,
    );
  }
  return { kind: 'in', field: '_id', values: ids };
}

/** The compared id of an `eq` on a membership attribute; anything else is invalidFilter. */
export function equalityValue(condition: Condition, attribute: string): string {
  if (condition.kind === 'compare' && condition.op === 'eq' && typeof condition.value === 'string') return condition.value;
  throw badRequest('invalidFilter', `"${attribute}" supports only "eq" and "ne" (and "not"), compared with a quoted id`);
}

/** The stored field a membership leaf of the condition tree names (scim/field-map.ts), if it is one. */
export function membershipField(condition: Condition): string | undefined {
  return condition.kind === 'compare' || condition.kind === 'present' ? condition.field : undefined;
}
