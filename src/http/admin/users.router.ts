import { Router, type Request } from 'express';
import { AdminUsers, createInput, editInput, listQuery } from '../../domain/users/admin-users.js';
import type { UserService } from '../../domain/users/user.service.js';
import type { RequestContext } from '../../domain/context.js';
import { requestContext, sendJson } from '../respond.js';

export interface UsersRouterDeps {
  users: UserService;
  baseUrl: string;
}

/**
 * Side API (scope `admin`): the administrators' Users screen (docs/behaviour.md "Side API"): list by tab
 * with counts, search, role filter, sort and page; create with a temporary password; edit; suspend
 * and activate. Delete, restore and permanent delete are in user-lifecycle.router.ts.
 */
export function usersRouter(deps: UsersRouterDeps): Router {
  const router = Router();
  const admin = new AdminUsers(deps.users);
  const ctx = (req: Request): RequestContext => requestContext(req, deps.baseUrl);

  router.get('/', async (req, res) => {
    sendJson(res, 200, await admin.list(ctx(req), listQuery.parse(req.query)));
  });

  router.post('/', async (req, res) => {
    const c = ctx(req);
    const created = await admin.create(c, createInput.parse(req.body ?? {}));
    res.setHeader('Location', `${c.scimBaseUrl}/Users/${created.user.id}`);
    // The generated password is in this answer only: never stored in clear, never shown again.
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, 201, created);
  });

  router.get('/:id', async (req, res) => {
    sendJson(res, 200, await admin.get(ctx(req), req.params.id));
  });

  router.patch('/:id', async (req, res) => {
    sendJson(res, 200, await admin.edit(ctx(req), req.params.id, editInput.parse(req.body ?? {})));
  });

  router.post('/:id/suspend', async (req, res) => {
    sendJson(res, 200, await admin.suspend(ctx(req), req.params.id));
  });

  router.post('/:id/activate', async (req, res) => {
    sendJson(res, 200, await admin.activate(ctx(req), req.params.id));
  });

  return router;
}
