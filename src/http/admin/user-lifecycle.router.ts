import { Router, type Request } from 'express';
import type { UserService } from '../../domain/users/user.service.js';
import type { RequestContext } from '../../domain/context.js';
import { requestContext, sendJson } from '../respond.js';

export interface UserLifecycleRouterDeps {
  users: UserService;
  baseUrl: string;
}

/**
 * Side API (scope `admin`): delete, restore and permanent delete
 * (docs/behaviour.md "User lifecycle"). Other /users routes fall through to the
 * routers mounted after this one.
 */
export function userLifecycleRouter(deps: UserLifecycleRouterDeps): Router {
  const router = Router();
  const ctx = (req: Request): RequestContext => requestContext(req, deps.baseUrl);

  router.post('/:id/restore', async (req, res) => {
    const c = ctx(req);
    const user = await deps.users.restore(c, req.params.id);
    sendJson(res, 200, deps.users.toScim(await deps.users.presentOne(c, user), c));
  });

  // The same soft delete as SCIM DELETE: the user moves to recently deleted.
  router.delete('/:id', async (req, res) => {
    await deps.users.remove(ctx(req), req.params.id);
    res.status(204).end();
  });

  router.delete('/:id/permanent', async (req, res) => {
    await deps.users.removePermanently(ctx(req), req.params.id);
    res.status(204).end();
  });

  return router;
}
