import { Router } from 'express';
import { z } from 'zod';
import type { OutboxService } from '../../domain/invitations/outbox.js';
import { requestContext, sendJson } from '../respond.js';
import { queryInteger } from '../../domain/query-integer.js';

export interface OutboxRouterDeps {
  outbox: OutboxService;
  baseUrl: string;
}

const pageQuery = z.object({
  offset: queryInteger((n) => n.int().min(0).default(0)),
  limit: queryInteger((n) => n.int().min(1).max(500).default(100)),
});

/** Side API (scope `admin`): messages kept because no SMTP server is configured, newest first. */
export function outboxRouter(deps: OutboxRouterDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const q = pageQuery.parse(req.query);
    const page = await deps.outbox.list(c, q.offset, q.limit);
    sendJson(res, 200, { total: page.total, offset: q.offset, limit: q.limit, items: page.items });
  });
  return router;
}
