import { Router } from 'express';
import { z } from 'zod';
import { createOrganizationInput, type OrganizationService } from '../../domain/organizations.js';
import { issueTokenInput, type TokenService } from '../../domain/tokens.js';
import { sendJson } from '../respond.js';
import { queryInteger } from '../../domain/query-integer.js';

export interface OrganizationsRouterDeps {
  organizations: OrganizationService;
  tokens: TokenService;
}

const pageQuery = z.object({
  offset: queryInteger((n) => n.int().min(0).default(0)),
  limit: queryInteger((n) => n.int().min(1).max(500).default(100)),
});

/** Operator routes (scope `operator`): organizations and their first tokens. */
export function organizationsRouter(deps: OrganizationsRouterDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const input = createOrganizationInput.parse(req.body ?? {});
    sendJson(res, 201, await deps.organizations.create(input));
  });

  router.get('/', async (req, res) => {
    const q = pageQuery.parse(req.query);
    const page = await deps.organizations.list(q.offset, q.limit);
    sendJson(res, 200, { total: page.total, offset: q.offset, limit: q.limit, items: page.items });
  });

  router.post('/:id/tokens', async (req, res) => {
    const org = await deps.organizations.get(req.params.id);
    const input = issueTokenInput.parse(req.body ?? {});
    sendJson(res, 201, await deps.tokens.issue(org._id, input.name, input.scopes, input.expiresAt));
  });

  return router;
}
