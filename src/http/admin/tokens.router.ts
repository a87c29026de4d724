import { Router } from 'express';
import { issueTokenInput, rotateTokenInput, type TokenService } from '../../domain/tokens.js';
import type { AuditService } from '../../domain/audit/audit.service.js';
import { requestContext, sendJson } from '../respond.js';

export interface TokensRouterDeps {
  tokens: TokenService;
  audit: AuditService;
  baseUrl: string;
}

/** Side API (scope `admin`): the caller's organization's tokens. The secret is shown once, at creation. */
export function tokensRouter(deps: TokensRouterDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const items = await deps.tokens.list(c.orgId);
    sendJson(res, 200, { total: items.length, items });
  });

  router.post('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const input = issueTokenInput.parse(req.body ?? {});
    const issued = await deps.tokens.issue(c.orgId, input.name, input.scopes, input.expiresAt);
    await deps.audit.record({
      orgId: c.orgId,
      at: new Date(issued.created),
      actor: c.actor,
      action: 'token.created',
      target: { type: 'Token', id: issued.id },
      changes: [{ path: 'scopes', old: null, new: issued.scopes }],
      requestId: c.requestId,
    });
    sendJson(res, 201, issued);
  });

  // A new secret; the old one stays valid for the grace period (README "Tokens").
  router.post('/:id/rotate', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const input = rotateTokenInput.parse(req.body ?? {});
    const rotated = await deps.tokens.rotate(c.orgId, req.params.id, input.gracePeriodSeconds);
    await deps.audit.record({
      orgId: c.orgId,
      at: new Date(rotated.rotatedAt ?? Date.now()),
      actor: c.actor,
      action: 'token.rotated',
      target: { type: 'Token', id: rotated.id },
      changes: [{ path: 'previousSecretValidUntil', old: null, new: rotated.previousSecretValidUntil }],
      requestId: c.requestId,
    });
    sendJson(res, 200, rotated);
  });

  router.delete('/:id', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    await deps.tokens.revoke(c.orgId, req.params.id);
    await deps.audit.record({
      orgId: c.orgId,
      at: new Date(),
      actor: c.actor,
      action: 'token.revoked',
      target: { type: 'Token', id: req.params.id },
      changes: [],
      requestId: c.requestId,
    });
    res.status(204).end();
  });

  return router;
}
