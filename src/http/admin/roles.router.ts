import { Router, type Request } from 'express';
import { z } from 'zod';
import type { GroupService } from '../../domain/groups/group.service.js';
import type { RequestContext } from '../../domain/context.js';
import { badRequest } from '../../scim/errors.js';
import { requestContext, sendJson } from '../respond.js';

export interface RolesRouterDeps {
  groups: GroupService;
  baseUrl: string;
}

const bindBody = z.object({ groupId: z.string().min(1).max(200) });

/** Side API (scope `admin`): the roles with their bound groups; bind a role to a group, or unbind it (docs/behaviour.md "Roles and groups"). */
export function rolesRouter(deps: RolesRouterDeps): Router {
  const router = Router();
  const ctx = (req: Request): RequestContext => requestContext(req, deps.baseUrl);

  router.get('/', async (req, res) => {
    sendJson(res, 200, { items: await deps.groups.roleBindings(ctx(req)) });
  });

  router.put('/:key/group', async (req, res) => {
    const parsed = bindBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalidValue', 'the body must be {"groupId": "<id of the group>"}');
    const group = await deps.groups.bindRole(ctx(req), req.params.key, parsed.data.groupId);
    sendJson(res, 200, { role: req.params.key, groupId: group._id, displayName: group.displayName });
  });

  router.delete('/:key/group', async (req, res) => {
    await deps.groups.unbindRole(ctx(req), req.params.key);
    res.status(204).end();
  });

  return router;
}
