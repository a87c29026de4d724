import { badRequest } from '../../scim/errors.js';

/**
 * Filters on membership (`members.value` on Groups, `groups.value` and the group-granted part of
 * `roles.value` on Users) are resolved in two steps, because a group stores no member array and
 * there is no $lookup on FerretDB: the memberships are read first, and the condition becomes
 * `_id: {$in: ids}`. The id list is capped: a condition that matches more resources than this is
 * invalidFilter (RFC 7644 3.4.2.2 lets a server reject filters it cannot answer), never a silent
 * partial answer. List a big group's members through GET /Groups/{id} instead.
 */
export const MAX_MEMBERSHIP_FILTER_IDS = 10_000;

export type Query = Record<string, unknown>;
/** Replaces the condition `{[field]: condition}` of the filter translation by a resolved query. */
export type ConditionResolver = (condition: unknown) => Promise<Query>;

/** Walks a translated filter ($and/$or/$nor trees) and resolves the fields that have a resolver. */
export async function resolveConditions(query: Query, resolvers: Record<string, ConditionResolver>): Promise<Query> {
  const out: Query = {};
  const resolved: Query[] = [];
  for (const [key, value] of Object.entries(query)) {
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      out[key] = await Promise.all(value.map((q) => resolveConditions(q as Query, resolvers)));
    } else if (Object.hasOwn(resolvers, key)) {
      resolved.push(await resolvers[key]!(value));
    } else {
      out[key] = value;
    }
  }
  if (resolved.length === 0) return out;
  const parts = Object.keys(out).length ? [out, ...resolved] : resolved;
  return parts.length === 1 ? parts[0]! : { $and: parts };
}

/** `{_id: {$in: ids}}`, or invalidFilter naming the attribute when more than the cap matched. */
export function idsCondition(ids: string[], attribute: string): Query {
  if (ids.length > MAX_MEMBERSHIP_FILTER_IDS) {
    throw badRequest(
      'invalidFilter',
      `"${attribute}" matches more than ${MAX_MEMBERSHIP_FILTER_IDS} resources, more than a membership filter resolves; read the group's members through GET /Groups/{id}`,
    );
  }
  return { _id: { $in: ids } };
}

/** The compared id of an `eq` on a membership attribute; anything else is invalidFilter. */
export function equalityValue(condition: unknown, attribute: string): string {
  if (typeof condition === 'string') return condition;
  throw badRequest('invalidFilter', `"${attribute}" supports only "eq" and "ne" (and "not"), compared with a quoted id`);
}

/**
 * The value of a case-insensitive equality as filter.ts writes it (`{$regex: "^<escaped>$", $options: "i"}`),
 * or undefined for any other comparison.
 */
export function caseInsensitiveEquality(condition: unknown): string | undefined {
  if (typeof condition !== 'object' || condition === null) return undefined;
  const c = condition as { $regex?: unknown; $options?: unknown };
  if (Object.keys(c).length !== 2 || c.$options !== 'i' || typeof c.$regex !== 'string') return undefined;
  const m = /^\^(.*)\$$/s.exec(c.$regex);
  if (!m) return undefined;
  // filter.ts escapes every metacharacter with a backslash; an unescaped one means another pattern.
  let text = '';
  const body = m[1]!;
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i]!;
    if (ch === '\\') {
      text += body[i + 1] ?? '';
      i += 1;
    } else if ('.*+?^${}()|[]'.includes(ch)) return undefined;
    else text += ch;
  }
  return text;
}
