import { Router } from 'express';
import { z } from 'zod';
import type { AuditService } from '../../domain/audit/audit.service.js';
import { requestContext, sendJson } from '../respond.js';
import { queryInteger } from '../../domain/query-integer.js';

export interface AuditRouterDeps {
  audit: AuditService;
  baseUrl: string;
}

const auditQuery = z.object({
  userId: z.string().min(1).max(200).optional(),
  actorId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  offset: queryInteger((n) => n.int().min(0).default(0)),
  limit: queryInteger((n) => n.int().min(1).max(500).default(100)),
});

/** Side API (scope `admin`): the audit log, newest first (docs/behaviour.md "Audit"). */
export function auditRouter(deps: AuditRouterDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const q = auditQuery.parse(req.query);
    const page = await deps.audit.query(c.orgId, {
      userId: q.userId,
      actorId: q.actorId,
      action: q.action,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      skip: q.offset,
      limit: q.limit,
    });
    sendJson(res, 200, { total: page.total, offset: q.offset, limit: q.limit, items: page.items });
  });

  return router;
}
