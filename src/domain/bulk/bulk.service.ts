/**
 * /Bulk (RFC 7644 3.7): runs a BulkRequest's operations one after the other, each exactly as the
 * single-resource route would (the same UserService and GroupService methods, so the domain,
 * seat, uniqueness and role rules and the audit trail apply per operation), and reports each
 * operation's outcome. One operation's failure never undoes or stops another, unless failOnErrors
 * says to stop.
 */
import { ScimError, badRequest, notFound, type ScimErrorBody } from '../../scim/errors.js';
import type { RequestContext } from '../context.js';
import type { GroupService } from '../groups/group.service.js';
import type { UserService } from '../users/user.service.js';
import { etagOf } from '../../scim/etag.js';
import { isBulkMethod, referencesOf, resolveReferences, type BulkMethod, type BulkOperation, type BulkRequest } from './bulk-request.js';

/** What one operation did to its resource. */
export interface BulkOutcome {
  id: string;
  version: number;
  /** The status the single route answers with. */
  status: number;
}

/** A resource type's writes, as /Bulk calls them. */
export interface BulkResourceHandler {
  create(ctx: RequestContext, data: unknown): Promise<BulkOutcome>;
  replace(ctx: RequestContext, id: string, data: unknown, ifMatch: string | undefined): Promise<BulkOutcome>;
  patch(ctx: RequestContext, id: string, data: unknown, ifMatch: string | undefined): Promise<BulkOutcome>;
  remove(ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void>;
}

/** RFC 7644 3.7.3: one entry of a BulkResponse's Operations. */
export interface BulkOperationResult {
  method: string;
  bulkId?: string;
  version?: string;
  location?: string;
  /** RFC 7644 3.7.3: the HTTP status code, as a string. */
  status: string;
  response?: ScimErrorBody;
}

export interface BulkRunOptions {
  /** Turns whatever an operation threw into the SCIM error the single route would have answered. */
  toError(err: unknown): ScimError;
}

export function userBulkHandler(users: UserService): BulkResourceHandler {
  return {
    create: async (ctx, data) => {
      const user = await users.create(ctx, data);
      return { id: user._id, version: user.version, status: 201 };
    },
    replace: async (ctx, id, data, ifMatch) => {
      const user = await users.replace(ctx, id, data, ifMatch);
      return { id: user._id, version: user.version, status: 200 };
    },
    // PATCH /Users/{id} answers 200 with the resource.
    patch: async (ctx, id, data, ifMatch) => {
      const user = await users.patch(ctx, id, data, ifMatch);
      return { id: user._id, version: user.version, status: 200 };
    },
    remove: (ctx, id, ifMatch) => users.remove(ctx, id, ifMatch),
  };
}

export function groupBulkHandler(groups: GroupService): BulkResourceHandler {
  return {
    create: async (ctx, data) => {
      const view = await groups.create(ctx, data);
      return { id: view.group._id, version: view.group.version, status: 201 };
    },
    replace: async (ctx, id, data, ifMatch) => {
      const group = await groups.replace(ctx, id, data, ifMatch);
      return { id: group._id, version: group.version, status: 200 };
    },
    // PATCH /Groups/{id} answers 204 when no attributes are asked for, which a bulk operation cannot ask.
    patch: async (ctx, id, data, ifMatch) => {
      const group = await groups.patch(ctx, id, data, ifMatch);
      return { id: group._id, version: group.version, status: 204 };
    },
    remove: (ctx, id, ifMatch) => groups.remove(ctx, id, ifMatch),
  };
}

interface Target {
  endpoint: string;
  handler: BulkResourceHandler;
  id: string | undefined;
}

const SUCCESS_STATUS = { DELETE: 204 } as const;

export class BulkService {
  private readonly endpoints: Map<string, { endpoint: string; handler: BulkResourceHandler }>;

  /** `handlers` by endpoint name as it appears in a path ("Users", "Groups"). */
  constructor(handlers: Record<string, BulkResourceHandler>) {
    // Paths match case-insensitively, as the single routes do (express routing).
    this.endpoints = new Map(Object.entries(handlers).map(([endpoint, handler]) => [endpoint.toLowerCase(), { endpoint, handler }]));
  }

  /**
   * Runs the operations and returns one result per operation processed, in the order they ran.
   *
   * RFC 7644 3.7.2: an operation whose path or data refers to "bulkId:x" runs after the POST
   * that defines x, wherever that POST stands in the request, and with the new id in place of the
   * reference. Among the operations that are ready, the earliest in the request runs first.
   * RFC 7644 3.7.1: operations whose references form a cycle (or wait on one) fail with 409 and a
   * detail naming the cycle, rather than being created half-linked.
   * RFC 7644 3.7: with failOnErrors N, the run stops after the Nth error; the results list what ran.
   */
  async run(ctx: RequestContext, request: BulkRequest, options: BulkRunOptions): Promise<BulkOperationResult[]> {
    const definedBy = new Map<string, BulkOperation>();
    for (const op of request.operations) if (op.method === 'POST' && op.bulkId !== undefined) definedBy.set(op.bulkId, op);
    const refs = new Map(request.operations.map((op) => [op.index, referencesOf(op)]));
    const resolved = new Map<string, string>();
    /** bulkId → why it has no id (its POST failed). */
    const failed = new Map<string, string>();
    const results: BulkOperationResult[] = [];
    let errors = 0;
    const pending = [...request.operations];

    /** The bulkIds an operation still waits for: defined by a POST that has not run yet. */
    const waitsFor = (op: BulkOperation): string[] =>
      refs.get(op.index)!.filter((r) => definedBy.has(r) && !resolved.has(r) && !failed.has(r));

    const record = (op: BulkOperation, result: BulkOperationResult): boolean => {
      results.push(result);
      if (result.response) {
        errors += 1;
        if (op.method === 'POST' && op.bulkId !== undefined) failed.set(op.bulkId, `its POST (operation ${op.index}) failed with ${result.status}`);
      }
      return request.failOnErrors !== undefined && errors >= request.failOnErrors;
    };

    while (pending.length > 0) {
      const next = pending.findIndex((op) => waitsFor(op).length === 0);
      if (next === -1) {
        // Every operation left waits on another one left: cycles, and what depends on them.
        // Named before any is recorded as failed: recording one changes what the others wait for.
        const details = pending.map((op) => circularDetail(op, waitsFor, definedBy));
        for (const [i, op] of pending.entries()) {
          if (record(op, this.failure(ctx, op, new ScimError(409, details[i]!)))) return results;
        }
        return results;
      }
      const [op] = pending.splice(next, 1);
      const { result, createdId } = await this.runOne(ctx, op!, refs.get(op!.index)!, resolved, failed, definedBy, options);
      if (createdId !== undefined && op!.bulkId !== undefined) resolved.set(op!.bulkId, createdId);
      if (record(op!, result)) return results;
    }
    return results;
  }

  private async runOne(
    ctx: RequestContext,
    op: BulkOperation,
    references: string[],
    resolved: ReadonlyMap<string, string>,
    failed: ReadonlyMap<string, string>,
    definedBy: ReadonlyMap<string, BulkOperation>,
    options: BulkRunOptions,
  ): Promise<{ result: BulkOperationResult; createdId?: string }> {
    try {
      for (const r of references) {
        if (!definedBy.has(r)) {
          throw badRequest('invalidValue', `operation ${op.index}: bulkId:${r} is not defined by any POST in this request`);
        }
        const why = failed.get(r);
        if (why !== undefined) throw new ScimError(409, `operation ${op.index}: bulkId:${r} could not be resolved: ${why}`);
      }
      const resolvedOp = references.length ? { ...op, path: resolveReferences(op.path, resolved), data: resolveReferences(op.data, resolved) } : op;
      const method = this.methodOf(op);
      const target = this.targetOf(resolvedOp, method);
      const { handler } = target;
      const ifMatch = op.version;
      if (method === 'DELETE') {
        await handler.remove(ctx, target.id!, ifMatch);
        return { result: this.success(ctx, op, method, target, undefined, SUCCESS_STATUS.DELETE) };
      }
      const outcome =
        method === 'POST'
          ? await handler.create(ctx, resolvedOp.data)
          : method === 'PUT'
            ? await handler.replace(ctx, target.id!, resolvedOp.data, ifMatch)
            : await handler.patch(ctx, target.id!, resolvedOp.data, ifMatch);
      const result = this.success(ctx, op, method, { ...target, id: outcome.id }, outcome.version, outcome.status);
      return method === 'POST' ? { result, createdId: outcome.id } : { result };
    } catch (err) {
      const resolvedPath = op.path === undefined ? undefined : resolveReferences(op.path, resolved);
      return { result: this.failure(ctx, { ...op, path: resolvedPath }, options.toError(err)) };
    }
  }

  private methodOf(op: BulkOperation): BulkMethod {
    if (!isBulkMethod(op.method)) {
      throw badRequest('invalidValue', `operation ${op.index}: "method" must be one of POST, PUT, PATCH, DELETE`);
    }
    // RFC 7644 3.7: bulkId is REQUIRED for POST, so the client can find the new resource in the answer.
    if (op.method === 'POST' && (op.bulkId === undefined || op.bulkId === '')) {
      throw badRequest('invalidValue', `operation ${op.index}: "bulkId" is required for POST`);
    }
    return op.method;
  }

  /** The endpoint and id an operation's path names, as the single route would have matched it. */
  private targetOf(op: Pick<BulkOperation, 'index' | 'path'>, method: BulkMethod): Target {
    if (op.path === undefined || op.path === '') throw badRequest('invalidValue', `operation ${op.index}: "path" is required`);
    const parsed = parsePath(op.path);
    const found = parsed && this.endpoints.get(parsed.endpoint.toLowerCase());
    if (!parsed || !found) {
      const served = [...this.endpoints.values()].map((e) => `/${e.endpoint}`).join(', ');
      throw notFound(`operation ${op.index}: no SCIM endpoint at ${method} ${op.path} in /Bulk (served: ${served})`);
    }
    if ((method === 'POST') !== (parsed.id === undefined)) {
      const expected = method === 'POST' ? `/${found.endpoint}` : `/${found.endpoint}/{id}`;
      throw notFound(`operation ${op.index}: no SCIM endpoint at ${method} ${op.path}; ${method} takes ${expected}`);
    }
    return { ...found, id: parsed.id };
  }

  private location(ctx: RequestContext, endpoint: string, id: string): string {
    return `${ctx.scimBaseUrl}/${endpoint}/${encodeURIComponent(id)}`;
  }

  private success(
    ctx: RequestContext,
    op: BulkOperation,
    method: BulkMethod,
    target: Target,
    version: number | undefined,
    status: number,
  ): BulkOperationResult {
    return {
      method,
      ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
      ...(version !== undefined ? { version: etagOf(version) } : {}),
      location: this.location(ctx, target.endpoint, target.id!),
      status: String(status),
    };
  }

  /** RFC 7644 3.7.3: location is REQUIRED except when a POST fails; it is given whenever the path names a resource. */
  private failure(ctx: RequestContext, op: BulkOperation, error: ScimError): BulkOperationResult {
    const parsed = op.method !== 'POST' && op.path !== undefined ? parsePath(op.path) : undefined;
    const endpoint = parsed && this.endpoints.get(parsed.endpoint.toLowerCase());
    return {
      method: op.method ?? '',
      ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
      ...(parsed?.id !== undefined && endpoint && !parsed.id.startsWith('bulkId:')
        ? { location: this.location(ctx, endpoint.endpoint, parsed.id) }
        : {}),
      status: String(error.status),
      response: error.toJSON(),
    };
  }
}

/** "/Users", "Users/{id}" (the leading slash is optional, a query is ignored). */
function parsePath(path: string): { endpoint: string; id: string | undefined } | undefined {
  const segments = path.split('?')[0]!.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (segments.length > 2 || !segments[0]) return undefined;
  let id: string | undefined;
  if (segments[1] !== undefined) {
    try {
      id = decodeURIComponent(segments[1]);
    } catch {
      return undefined;
    }
    if (!id) return undefined;
  }
  return { endpoint: segments[0], id };
}

/** RFC 7644 3.7.1: names the circular reference an operation is caught in or waits on. */
function circularDetail(
  op: BulkOperation,
  waitsFor: (op: BulkOperation) => string[],
  definedBy: ReadonlyMap<string, BulkOperation>,
): string {
  // Follow the first unresolved reference from op until an operation repeats: that loop is the cycle.
  const chain: BulkOperation[] = [op];
  const seenAt = new Map<number, number>([[op.index, 0]]);
  for (;;) {
    const ref = waitsFor(chain[chain.length - 1]!)[0];
    const next = ref === undefined ? undefined : definedBy.get(ref);
    if (!next) break;
    const at = seenAt.get(next.index);
    if (at !== undefined) {
      const cycle = [...chain.slice(at), next].map((o) => `bulkId:${o.bulkId}`).join(' → ');
      if (at === 0) return `operation ${op.index}: circular bulkId reference ${cycle}; none of these resources can be created first`;
      const first = waitsFor(op)[0];
      return `operation ${op.index}: bulkId:${first} cannot be resolved: it depends on the circular bulkId reference ${cycle}`;
    }
    seenAt.set(next.index, chain.length);
    chain.push(next);
  }
  return `operation ${op.index}: its bulkId references cannot be resolved`;
}
