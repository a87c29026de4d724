import { MATCH_ALL, parseCondition, sortToMongo, type Condition } from '../../scim/filter.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import { decodeCursor, encodeCursor, queryFingerprint, reverseSort, sortKeyOf } from '../../scim/cursor.js';
import type { ListParams, PageLimits } from './list-params.js';
import type { Clock } from '../../domain/context.js';

export interface PageQuery {
  /** The condition tree (scim/filter.ts); store/ compiles it. */
  filter: Condition;
  sort: Record<string, 1 | -1>;
  /** 0-based */
  skip: number;
  limit: number;
  /** false when the caller counts the total itself (keyset pages after the first). */
  countTotal?: boolean;
}

export interface ListPageSource<T> {
  resourceType: 'User' | 'Group';
  list(query: PageQuery): Promise<{ totalResults: number; items: T[] }>;
  count(filter: Condition): Promise<number>;
  present(items: T[]): Promise<unknown[]> | unknown[];
}

/** What the Users and Groups routers share: page limits, the base URL and cursor paging settings. */
export interface ResourceRouterSettings {
  limits: PageLimits;
  baseUrl: string;
  clock: Clock;
  cursorTimeoutSeconds: number;
}

export interface CursorSettings {
  now: number;
  cursorTimeoutSeconds: number;
}

/**
 * A SCIM ListResponse for GET and POST .search on any resource: index paging
 * (RFC 7644 3.4.2.4) by default, keyset cursor paging (RFC 9865) when the
 * request carries `cursor`.
 */
export async function listPage<T extends object>(
  source: ListPageSource<T>,
  params: ListParams,
  cursor: CursorSettings,
): Promise<Record<string, unknown>> {
  const filter = params.filter ? parseCondition(params.filter, source.resourceType) : MATCH_ALL;
  const sort = sortToMongo(params.sortBy, params.sortOrder, source.resourceType);

  if (params.cursor === undefined) {
    const page = await source.list({ filter, sort, skip: params.startIndex - 1, limit: params.count });
    return {
      schemas: [SCHEMA_URN.listResponse],
      totalResults: page.totalResults,
      startIndex: params.startIndex,
      itemsPerPage: page.items.length,
      Resources: await source.present(page.items),
    };
  }

  // RFC 9865: keyset paging. One extra item is read to know whether another page follows.
  const fingerprint = queryFingerprint([source.resourceType, params.filter ?? '', sort]);
  const expires = cursor.now + cursor.cursorTimeoutSeconds * 1000;
  const position =
    params.cursor === '' ? undefined : decodeCursor(params.cursor, fingerprint, Object.keys(sort).length, cursor.now);
  const backward = position?.direction === 'previous';
  const pageFilter: Condition = position ? { kind: 'and', conditions: [filter, { kind: 'keyset', sort, key: position.key, direction: position.direction }] } : filter;
  const page = await source.list({
    filter: pageFilter,
    sort: backward ? reverseSort(sort) : sort,
    skip: 0,
    limit: params.count === 0 ? 0 : params.count + 1,
    // Past the first page the total is counted over the whole filter, below, not over the keyset page.
    countTotal: !position,
  });
  const totalResults = position ? await source.count(filter) : page.totalResults;
  const more = page.items.length > params.count;
  const items = page.items.slice(0, params.count);
  if (backward) items.reverse();
  const body: Record<string, unknown> = {
    schemas: [SCHEMA_URN.listResponse],
    totalResults,
    itemsPerPage: items.length,
    Resources: await source.present(items),
  };
  const first = items[0];
  const last = items[items.length - 1];
  const hasNext = backward ? Boolean(last) : more;
  const hasPrevious = backward ? more : Boolean(position) && Boolean(first);
  if (hasNext && last) body.nextCursor = encodeCursor('next', sortKeyOf(last as Record<string, unknown>, sort), fingerprint, expires);
  if (hasPrevious && first) {
    body.previousCursor = encodeCursor('previous', sortKeyOf(first as Record<string, unknown>, sort), fingerprint, expires);
  }
  return body;
}
