import { Router } from 'express';
import type { InvitationService } from '../../domain/invitations/invitation.service.js';
import { onboardingKpis } from '../../domain/kpis.js';
import type { UserService } from '../../domain/users/user.service.js';
import { requestContext, sendJson } from '../respond.js';

export interface KpisRouterDeps {
  invitations: InvitationService;
  users: UserService;
  baseUrl: string;
}

/** Side API (scope `admin`): the onboarding KPIs (docs/behaviour.md "Side API": onboarding KPIs). */
export function kpisRouter(deps: KpisRouterDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    sendJson(res, 200, await onboardingKpis(requestContext(req, deps.baseUrl), deps.invitations, deps.users));
  });
  return router;
}
