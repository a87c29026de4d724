/**
 * POST /.search at the service provider's root (RFC 7644 3.4.3): every resource type (Users and
 * Groups) searched with one filter and returned as one list, sorted and paged together, by index
 * (RFC 7644 3.4.2.4) or cursor (RFC 9865).
 *
 * - Filter: translated for each resource type. A filter naming an attribute a resource type does
 *   not have matches none of that type (RFC 7644 3.4.2.2 evaluates a comparison with an absent
 *   attribute as false); an attribute no resource type has is 400 invalidFilter.
 * - Sort: the attribute must exist on both (id, externalId, displayName, meta.created,
 *   meta.lastModified); the merge compares the same stored keys the database sorted by.
 * - Index paging reads startIndex-1+count items of each type (each on its index, in order) and
 *   merges them, so a deep startIndex is bounded by ROOT_SEARCH_MAX_INDEX; past it, cursor paging
 *   (which reads count+1 of each type whatever the depth) is the way on.
 */
import { Router, type Request } from 'express';
import { MATCH_ALL, parseCondition, sortToMongo, type Condition } from '../../scim/filter.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import { badRequest, ScimError } from '../../scim/errors.js';
import { decodeCursor, encodeCursor, queryFingerprint, reverseSort, sortKeyOf } from '../../scim/cursor.js';
import { projectResource } from '../../scim/projection.js';
import { requestContext, sendScim } from '../respond.js';
import { parseListParams, type ListParams } from './list-params.js';
import type { UsersRouterDeps } from './users.router.js';
import { searchBody } from './search-body.js';
import { presentGroups } from './groups.router.js';
import type { GroupService } from '../../domain/groups/group.service.js';
import type { RequestContext } from '../../domain/context.js';

/** The deepest index page (startIndex - 1 + count) a root search serves; cursor paging has no limit. */
export const ROOT_SEARCH_MAX_INDEX = 10_000;

type Item = { type: 'User' | 'Group'; doc: Record<string, unknown> };

interface Source {
  type: 'User' | 'Group';
  filter: Condition;
  list(query: { filter: Condition; sort: Record<string, 1 | -1>; skip: number; limit: number; countTotal?: boolean }): Promise<{ totalResults: number; items: object[] }>;
  count(filter: Condition): Promise<number>;
  present(items: object[]): Promise<unknown[]> | unknown[];
}

function isUnknownAttribute(err: unknown): boolean {
  return err instanceof ScimError && err.scimType === 'invalidFilter' && err.detail.startsWith('unknown attribute');
}

/** Same ordering as the database for the values sort keys hold: null/missing lowest, then by type. */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (typeof x === typeof y) return (x as string | number) < (y as string | number) ? -1 : (x as string | number) > (y as string | number) ? 1 : 0;
  return String(x) < String(y) ? -1 : 1;
}

function comparator(sort: Record<string, 1 | -1>) {
  const directions = Object.values(sort);
  return (a: Item, b: Item): number => {
    const ka = sortKeyOf(a.doc, sort);
    const kb = sortKeyOf(b.doc, sort);
    for (let i = 0; i < directions.length; i += 1) {
      const c = compareValues(ka[i], kb[i]);
      if (c !== 0) return c * directions[i]!;
    }
    return 0;
  };
}

function sortFor(params: ListParams): Record<string, 1 | -1> {
  const user = sortToMongo(params.sortBy, params.sortOrder, 'User');
  let group: Record<string, 1 | -1>;
  try {
    group = sortToMongo(params.sortBy, params.sortOrder, 'Group');
  } catch {
    group = {};
  }
  if (JSON.stringify(user) !== JSON.stringify(group)) {
    throw badRequest(
      'invalidValue',
      `a search at the root sorts by an attribute every resource type has (id, externalId, displayName, meta.created, meta.lastModified), not "${params.sortBy}"`,
    );
  }
  return user;
}

async function search(sources: Source[], params: ListParams, sort: Record<string, 1 | -1>, cursorTimeoutSeconds: number, now: number) {
  const compare = comparator(sort);
  const merge = async (pages: { source: Source; items: object[] }[]) =>
    pages.flatMap(({ source, items }) => items.map((doc) => ({ type: source.type, doc: doc as Record<string, unknown>, source })));
  const present = async (items: (Item & { source: Source })[]) => {
    // Each type is presented in one call (derived roles, members), then put back in merged order.
    const out: unknown[] = new Array(items.length);
    for (const source of sources) {
      const positions = items.map((item, i) => (item.source === source ? i : -1)).filter((i) => i >= 0);
      if (positions.length === 0) continue;
      const presented = await source.present(positions.map((i) => items[i]!.doc));
      positions.forEach((position, j) => {
        out[position] = presented[j];
      });
    }
    return out;
  };

  if (params.cursor === undefined) {
    const depth = params.startIndex - 1 + params.count;
    if (depth > ROOT_SEARCH_MAX_INDEX) {
      throw badRequest(
        'invalidValue',
        `a search at the root pages by index up to item ${ROOT_SEARCH_MAX_INDEX}; use cursor paging (cursor=) to read further`,
      );
    }
    const pages = await Promise.all(
      sources.map(async (source) => ({ source, ...(await source.list({ filter: source.filter, sort, skip: 0, limit: depth })) })),
    );
    const totalResults = pages.reduce((n, p) => n + p.totalResults, 0);
    const merged = (await merge(pages)).sort(compare).slice(params.startIndex - 1, depth);
    return {
      schemas: [SCHEMA_URN.listResponse],
      totalResults,
      startIndex: params.startIndex,
      itemsPerPage: merged.length,
      Resources: await present(merged),
    };
  }

  const fingerprint = queryFingerprint(['root', params.filter ?? '', sort]);
  const position = params.cursor === '' ? undefined : decodeCursor(params.cursor, fingerprint, Object.keys(sort).length, now);
  const backward = position?.direction === 'previous';
  const pageSort = backward ? reverseSort(sort) : sort;
  const limit = params.count === 0 ? 0 : params.count + 1;
  const pages = await Promise.all(
    sources.map(async (source) => {
      const filter: Condition = position
        ? { kind: 'and', conditions: [source.filter, { kind: 'keyset', sort, key: position.key, direction: position.direction }] }
        : source.filter;
      const page = await source.list({ filter, sort: pageSort, skip: 0, limit, countTotal: false });
      return { source, items: page.items, total: await source.count(source.filter) };
    }),
  );
  const totalResults = pages.reduce((n, p) => n + p.total, 0);
  const pageCompare = comparator(pageSort);
  const merged = (await merge(pages)).sort(pageCompare).slice(0, limit);
  const more = merged.length > params.count;
  const items = merged.slice(0, params.count);
  if (backward) items.reverse();
  const body: Record<string, unknown> = {
    schemas: [SCHEMA_URN.listResponse],
    totalResults,
    itemsPerPage: items.length,
    Resources: await present(items),
  };
  const expires = now + cursorTimeoutSeconds * 1000;
  const first = items[0];
  const last = items[items.length - 1];
  const hasNext = backward ? Boolean(last) : more;
  const hasPrevious = backward ? more : Boolean(position) && Boolean(first);
  if (hasNext && last) body.nextCursor = encodeCursor('next', sortKeyOf(last.doc, sort), fingerprint, expires);
  if (hasPrevious && first) body.previousCursor = encodeCursor('previous', sortKeyOf(first.doc, sort), fingerprint, expires);
  return body;
}

export function rootSearchRouter(deps: UsersRouterDeps & { groups: GroupService }): Router {
  const router = Router();
  router.post('/', async (req: Request, res) => {
    const params = parseListParams(searchBody(req.body), deps.limits);
    const c: RequestContext = requestContext(req, deps.baseUrl);
    const sort = sortFor(params);
    const candidates: Omit<Source, 'filter'>[] = [
      {
        type: 'User',
        list: (query) => deps.users.list(c, query),
        count: (filter) => deps.users.count(c, filter),
        present: (items) => (items as Parameters<typeof deps.users.toScim>[0][]).map((u) => projectResource(deps.users.toScim(u, c), 'User', params.projection)),
      },
      {
        type: 'Group',
        list: (query) => deps.groups.list(c, query),
        count: (filter) => deps.groups.count(c, filter),
        present: (items) => presentGroups(deps.groups, c, items as Parameters<typeof presentGroups>[2], params.projection),
      },
    ];
    const sources: Source[] = [];
    let unknown: unknown;
    for (const candidate of candidates) {
      try {
        sources.push({ ...candidate, filter: params.filter ? parseCondition(params.filter, candidate.type) : MATCH_ALL });
      } catch (err) {
        if (!isUnknownAttribute(err)) throw err;
        unknown = err;
      }
    }
    if (sources.length === 0) throw unknown;
    sendScim(res, 200, await search(sources, params, sort, deps.cursorTimeoutSeconds, deps.clock.now().getTime()));
  });
  return router;
}
