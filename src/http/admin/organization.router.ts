import { Router } from 'express';
import { organizationSettingsPatch, type OrganizationSettingsService } from '../../domain/organization-settings.js';
import { requestContext, sendJson } from '../respond.js';

export interface OrganizationRouterDeps {
  settings: OrganizationSettingsService;
  baseUrl: string;
}

/** Side API (scope `admin`): the caller's own organization's settings. */
export function organizationRouter(deps: OrganizationRouterDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    sendJson(res, 200, await deps.settings.get(requestContext(req, deps.baseUrl)));
  });

  router.patch('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const patch = organizationSettingsPatch.parse(req.body ?? {});
    sendJson(res, 200, await deps.settings.update(c, patch));
  });

  return router;
}
