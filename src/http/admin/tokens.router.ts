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
    await deps.audit.recordFor(
      c,
      new Date(issued.created),
      'token.created',
      { type: 'Token', id: issued.id },
      [{ path: 'scopes', old: null, new: issued.scopes }],
    );
    sendJson(res, 201, issued);
  });

  // A new secret; the old one stays valid for the grace period (README "Tokens").
  router.post('/:id/rotate', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const input = rotateTokenInput.parse(req.body ?? {});
    const rotated = await deps.tokens.rotate(c.orgId, req.params.id, input.gracePeriodSeconds);
    await deps.audit.recordFor(
      c,
      new Date(rotated.rotatedAt ?? Date.now()),
      'token.rotated',
      { type: 'Token', id: rotated.id },
      [{ path: 'previousSecretValidUntil', old: null, new: rotated.previousSecretValidUntil }],
    );
    sendJson(res, 200, rotated);
  });

  router.delete('/:id', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    await deps.tokens.revoke(c.orgId, req.params.id);
    await deps.audit.recordFor(c, new Date(), 'token.revoked', { type: 'Token', id: req.params.id }, []);
    res.status(204).end();
  });

  return router;
}
