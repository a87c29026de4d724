import { Router } from 'express';
import type { UserService } from '../../domain/users/user.service.js';
import { requestContext, sendJson } from '../respond.js';

export interface SeatsRouterDeps {
  users: UserService;
  baseUrl: string;
}

/** Side API (scope `admin`): the seat counter, and its repair from the users. */
export function seatsRouter(deps: SeatsRouterDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    sendJson(res, 200, await deps.users.seatUsage(requestContext(req, deps.baseUrl)));
  });

  router.post('/recount', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    sendJson(res, 200, await deps.users.recountSeats(c.orgId, c));
  });

  return router;
}
