import { Router, type Request } from 'express';
import type { UserService } from '../../domain/users/user.service.js';
import { etagOf } from '../../scim/etag.js';
import { searchBody } from './search-body.js';
import { projectResource } from '../../scim/projection.js';
import { listPage, type ResourceRouterSettings } from './list-page.js';
import { requestContext, sendScim } from '../respond.js';
import { parseListParams, projectionParams, type ListParams } from './list-params.js';
import type { RequestContext } from '../../domain/context.js';
import { ifMatchHeader as ifMatch } from '../if-match.js';

export interface UsersRouterDeps extends ResourceRouterSettings {
  users: UserService;
}

/** GET /Users and POST /Users/.search (and the User part of POST /.search): index or cursor paging. */
export async function listUsers(deps: UsersRouterDeps, c: RequestContext, params: ListParams): Promise<Record<string, unknown>> {
  return listPage(
    {
      resourceType: 'User',
      list: (query) => deps.users.list(c, query),
      count: (filter) => deps.users.count(c, filter),
      present: (items) => items.map((u) => projectResource(deps.users.toScim(u, c), 'User', params.projection)),
    },
    params,
    { now: deps.clock.now().getTime(), cursorTimeoutSeconds: deps.cursorTimeoutSeconds },
  );
}

export function usersRouter(deps: UsersRouterDeps): Router {
  const router = Router();
  const ctx = (req: Request): RequestContext => requestContext(req, deps.baseUrl);

  router.get('/', async (req, res) => {
    const params = parseListParams(req.query as Record<string, unknown>, deps.limits);
    sendScim(res, 200, await listUsers(deps, ctx(req), params));
  });

  // RFC 7644 3.4.3: POST .search carries the same parameters in a SearchRequest body.
  router.post('/.search', async (req, res) => {
    const body = searchBody(req.body);
    sendScim(res, 200, await listUsers(deps, ctx(req), parseListParams(body, deps.limits)));
  });

  router.post('/', async (req, res) => {
    const c = ctx(req);
    const user = await deps.users.create(c, req.body);
    const resource = deps.users.toScim(await deps.users.presentOne(c, user), c);
    sendScim(res, 201, projectResource(resource, 'User', projectionParams(req.query as Record<string, unknown>)), {
      Location: String((resource.meta as { location: string }).location),
      ETag: etagOf(user.version),
    });
  });

  router.get('/:id', async (req, res) => {
    const c = ctx(req);
    const user = await deps.users.presentOne(c, await deps.users.get(c, req.params.id));
    sendScim(res, 200, projectResource(deps.users.toScim(user, c), 'User', projectionParams(req.query as Record<string, unknown>)), {
      ETag: etagOf(user.version),
    });
  });

  router.put('/:id', async (req, res) => {
    const c = ctx(req);
    const user = await deps.users.presentOne(c, await deps.users.replace(c, req.params.id, req.body, ifMatch(req)));
    sendScim(res, 200, projectResource(deps.users.toScim(user, c), 'User', projectionParams(req.query as Record<string, unknown>)), {
      ETag: etagOf(user.version),
    });
  });

  router.patch('/:id', async (req, res) => {
    const c = ctx(req);
    const user = await deps.users.presentOne(c, await deps.users.patch(c, req.params.id, req.body, ifMatch(req)));
    // RFC 7644 3.5.2: 200 with the resource (we always return it; Okta and Entra ID read it).
    sendScim(res, 200, projectResource(deps.users.toScim(user, c), 'User', projectionParams(req.query as Record<string, unknown>)), {
      ETag: etagOf(user.version),
    });
  });

  router.delete('/:id', async (req, res) => {
    await deps.users.remove(ctx(req), req.params.id, ifMatch(req));
    res.status(204).end();
  });

  return router;
}
