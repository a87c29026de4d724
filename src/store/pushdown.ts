import type { Collection, Document, Filter, FindOptions } from 'mongodb';

/**
 * `{...base, [field]: {$in: values}}`, as the engine runs it fastest. MongoDB serves an `$in` from an
 * index in one query. FerretDB 1.x pushes only top-level scalar equality down to its backend (README
 * "The embedded database"): an `$in` reads every document `base` matches (the whole organization)
 * and filters in Go, while one equality query per value is served by an index on PostgreSQL. So on
 * FerretDB the values are looked up one by one, a few at a time. The result is the same documents
 * (no order is promised), so nothing correct depends on which way ran.
 */
export async function findIn<T extends Document>(
  collection: Collection<T>,
  /** One `$in` (MongoDB; and FerretDB on SQLite, where an equality lookup scans as much), or one lookup per value. */
  inPushdown: boolean,
  base: Record<string, unknown>,
  field: string,
  values: readonly unknown[],
  options: FindOptions = {},
): Promise<T[]> {
  if (values.length === 0) return [];
  const unique = [...new Set(values)];
  if (inPushdown || unique.length > MAX_EQUALITY_LOOKUPS) {
    return (await collection.find({ ...base, [field]: { $in: unique } } as Filter<T>, options).toArray()) as T[];
  }
  const out: T[] = [];
  for (let i = 0; i < unique.length; i += PARALLEL) {
    const batch = await Promise.all(
      unique.slice(i, i + PARALLEL).map((v) => collection.find({ ...base, [field]: v } as Filter<T>, options).toArray()),
    );
    for (const docs of batch) out.push(...(docs as T[]));
  }
  return out;
}

/** Past this many values one `$in` (a read of the organization) is cheaper than the lookups. */
const MAX_EQUALITY_LOOKUPS = 1000;
/** Lookups in flight at once: enough to hide the round trips, few enough not to crowd the pool. */
const PARALLEL = 16;

/**
 * `filter` within the organization. The same documents as `{$and: [{orgId}, filter]}`, but with
 * `orgId` at the top level, where FerretDB 1.x pushes it down to an index: a top-level `$and` is
 * never pushed down, so it read every organization's documents.
 */
export function inOrg(orgId: string, filter: Record<string, unknown>): Record<string, unknown> {
  return 'orgId' in filter ? { $and: [{ orgId }, filter] } : { ...filter, orgId };
}
