/**
 * Compiles the condition tree of scim/filter.ts into a MongoDB query: the one place where a filter
 * becomes database operators. Only $and $or $nor $ne $gt $gte $lt $lte $in $exists and
 * $regex/$options are emitted, so the same query runs on MongoDB and on FerretDB 1.x, whose
 * $elemMatch does not accept conditions on sub-documents (docs/architecture.md "Engine notes").
 * Every regular expression is built from escaped text. The repositories AND in the organization.
 *
 * Missing attributes: `ne` is the complement of `eq` and `not` the complement of its filter, so
 * both match resources where the attribute is absent (RFC 7644 3.4.2.2).
 */
import { keysetCondition } from '../scim/cursor.js';
import { escapeRegex, parseCondition, type Condition } from '../scim/filter.js';
import type { FilterResourceType } from '../scim/field-map.js';

export type MongoQuery = Record<string, unknown>;

/** Matches no document: every stored document has an _id. */
const MATCH_NONE: MongoQuery = Object.freeze({ _id: { $exists: false } }) as MongoQuery;

const ORDERING = { gt: '$gt', ge: '$gte', lt: '$lt', le: '$lte' } as const;

export function compileCondition(condition: Condition): MongoQuery {
  switch (condition.kind) {
    case 'and':
      return { $and: condition.conditions.map(compileCondition) };
    case 'or':
      return { $or: condition.conditions.map(compileCondition) };
    case 'not':
      return { $nor: [compileCondition(condition.condition)] };
    case 'all':
      return {};
    case 'none':
      return { ...MATCH_NONE };
    case 'exists':
      return { [condition.field]: { $exists: true } };
    case 'in':
      return { [condition.field]: { $in: condition.values } };
    case 'keyset':
      return keysetCondition(condition.sort, condition.key, condition.direction);
    case 'present':
      return present(condition.field, condition.type);
    case 'compare':
      return compare(condition);
  }
}

/** Parses, resolves and compiles a SCIM filter (tests and tools; services pass the tree). */
export function filterToMongo(text: string, resourceType: FilterResourceType): MongoQuery {
  return compileCondition(parseCondition(text, resourceType));
}

/** RFC 7644 3.4.2.2 "pr": a non-empty value; an empty string or array is not present. */
function present(field: string, type: string): MongoQuery {
  // On an array path each operator asks whether any value satisfies it.
  if (type === 'boolean') return { [field]: { $in: [true, false] } };
  if (type === 'dateTime' || type === 'integer' || type === 'decimal') return { [field]: { $ne: null } };
  // Every non-empty string sorts after "", and no other type compares with a string.
  return { [field]: { $gt: '' } };
}

function compare(c: Extract<Condition, { kind: 'compare' }>): MongoQuery {
  const { op, value } = c;
  if (typeof value !== 'string') {
    if (op === 'eq') return { [c.field]: value };
    if (op === 'ne') return { [c.field]: { $ne: value } };
    return { [c.field]: { [ORDERING[op as keyof typeof ORDERING]]: value } };
  }
  // RFC 7644 3.4.2.2: string comparisons follow the attribute's caseExact.
  if (c.caseExact || c.keyField) {
    const field = c.caseExact ? c.field : c.keyField!;
    const v = c.caseExact ? value : value.toLowerCase();
    const e = escapeRegex(v);
    switch (op) {
      case 'eq':
        return { [field]: v };
      case 'ne':
        return { [field]: { $ne: v } };
      case 'sw':
        return { [field]: { $regex: `^${e}` } };
      case 'co':
        return { [field]: { $regex: e } };
      case 'ew':
        return { [field]: { $regex: `${e}$` } };
      default:
        return { [field]: { [ORDERING[op]]: v } };
    }
  }
  const e = escapeRegex(value);
  const regex = (pattern: string): MongoQuery => ({ [c.field]: { $regex: pattern, $options: 'i' } });
  switch (op) {
    case 'eq':
      return regex(`^${e}$`);
    case 'ne':
      return { $nor: [regex(`^${e}$`)] };
    case 'sw':
      return regex(`^${e}`);
    case 'co':
      return regex(e);
    case 'ew':
      return regex(`${e}$`);
    default:
      // scim/filter.ts refuses ordering on a case-insensitive attribute without a shadow key.
      throw new Error(`"${op}" cannot be compiled for "${c.attribute}"`);
  }
}
