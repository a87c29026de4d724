import { Router, type Request, type Response } from 'express';
import { AdminUsers, createInput, editInput, listQuery, type AdminUserView } from '../../domain/users/admin-users.js';
import type { UserService } from '../../domain/users/user.service.js';
import type { RequestContext } from '../../domain/context.js';
import { requestContext, sendJson } from '../respond.js';
import { ifMatchHeader } from '../if-match.js';

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

  // The version as a weak ETag (RFC 9110 8.8.3), so an edit can send If-Match and a stale page gets 412.
  const withEtag = (res: Response, view: AdminUserView) => {
    res.setHeader('ETag', `W/"${view.version}"`);
    return view;
  };

  router.get('/:id', async (req, res) => {
    sendJson(res, 200, withEtag(res, await admin.get(ctx(req), req.params.id)));
  });

  router.patch('/:id', async (req, res) => {
    const input = editInput.parse(req.body ?? {});
    sendJson(res, 200, withEtag(res, await admin.edit(ctx(req), req.params.id, input, ifMatchHeader(req))));
  });

  router.post('/:id/suspend', async (req, res) => {
    sendJson(res, 200, await admin.suspend(ctx(req), req.params.id));
  });

  router.post('/:id/activate', async (req, res) => {
    sendJson(res, 200, await admin.activate(ctx(req), req.params.id));
  });

  return router;
}
