import { badRequest } from '../../scim/errors.js';
import { parseAttributeList, type ProjectionOptions } from '../../scim/projection.js';

/** RFC 7644 3.4.2 query parameters, from a query string (GET) or a SearchRequest body (POST .search). */
export interface ListParams {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  /** 1-based (RFC 7644 3.4.2.4) */
  startIndex: number;
  count: number;
  /** RFC 9865: present (possibly empty, for the first page) when the client asks for cursor paging. */
  cursor?: string;
  projection: ProjectionOptions;
}

export interface PageLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

function optText(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest('invalidValue', `parameter "${key}" must be a string`);
  return value;
}

function optInteger(source: Record<string, unknown>, key: string): number | undefined {
  const value = source[key];
  if (value === undefined || value === null) return undefined;
  // `?count=` names no number (RFC 7644 3.4.2.4: an integer); it is refused, not read as absent.
  if (value === '') throw badRequest('invalidValue', `parameter "${key}" must be an integer`);
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest('invalidValue', `parameter "${key}" must be an integer`);
  return n;
}

export function parseListParams(source: Record<string, unknown>, limits: PageLimits): ListParams {
  const rawStart = optInteger(source, 'startIndex');
  const requested = optInteger(source, 'count');
  const cursor = source.cursor;
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== 'string') throw badRequest('invalidCursor', 'parameter "cursor" must be a string');
    if (rawStart !== undefined) {
      throw badRequest('invalidValue', 'parameters "cursor" and "startIndex" cannot be combined: choose cursor or index paging');
    }
    // RFC 9865 2.3: in cursor paging a count above maxPageSize is an error, not silently lowered.
    if (requested !== undefined && (requested < 0 || requested > limits.maxPageSize)) {
      throw badRequest('invalidCount', `parameter "count" must be between 0 and ${limits.maxPageSize}`);
    }
  }
  // RFC 7644 3.4.2.4: startIndex less than 1 is interpreted as 1; a negative count as 0;
  // a count above the server's maximum is lowered to it (maxResults in ServiceProviderConfig).
  const startIndex = Math.max(1, rawStart ?? 1);
  const count = requested === undefined ? limits.defaultPageSize : Math.min(Math.max(0, requested), limits.maxPageSize);
  const params: ListParams = {
    startIndex,
    count,
    projection: {},
  };
  if (typeof cursor === 'string') params.cursor = cursor;
  // RFC 7644 3.4.2.2: a filter is an expression; an empty one is not a filter (400), not "no filter".
  if (source.filter === '') throw badRequest('invalidFilter', 'parameter "filter" is empty; leave it out to list everything');
  const filter = optText(source, 'filter');
  const sortBy = optText(source, 'sortBy');
  const sortOrder = optText(source, 'sortOrder');
  if (filter !== undefined) params.filter = filter;
  if (sortBy !== undefined) params.sortBy = sortBy;
  if (sortOrder !== undefined) params.sortOrder = sortOrder;
  params.projection = projectionParams(source);
  return params;
}

export function projectionParams(source: Record<string, unknown>): ProjectionOptions {
  const projection: ProjectionOptions = {};
  const attributes = parseAttributeList(source.attributes, 'attributes');
  const excludedAttributes = parseAttributeList(source.excludedAttributes, 'excludedAttributes');
  if (attributes) projection.attributes = attributes;
  if (excludedAttributes) projection.excludedAttributes = excludedAttributes;
  return projection;
}
