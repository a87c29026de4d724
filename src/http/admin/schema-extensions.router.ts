import { Router } from 'express';
import type { SchemaExtensionService } from '../../domain/schema-extensions.js';
import type { AuditService } from '../../domain/audit/audit.service.js';
import { requestContext, sendJson } from '../respond.js';

export interface SchemaExtensionsRouterDeps {
  extensions: SchemaExtensionService;
  audit: AuditService;
  baseUrl: string;
}

/**
 * Side API (scope `admin`): the organization's custom SCIM schema extensions (README "Custom schema
 * extensions"), identified by their URN.
 */
export function schemaExtensionsRouter(deps: SchemaExtensionsRouterDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const items = await deps.extensions.list(c.orgId);
    sendJson(res, 200, { total: items.length, items });
  });

  router.post('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const created = await deps.extensions.create(c.orgId, req.body);
    await deps.audit.record({
      orgId: c.orgId,
      at: new Date(created.meta.created),
      actor: c.actor,
      action: 'schema_extension.created',
      target: { type: 'SchemaExtension', id: created.id },
      changes: [{ path: 'attributes', old: null, new: created.attributes.map((a) => a.name) }],
      requestId: c.requestId,
    });
    res.setHeader('Location', `${c.scimBaseUrl.replace(/\/scim\/v2$/, '')}/api/v1/schema-extensions/${created.id}`);
    sendJson(res, 201, created);
  });

  router.get('/:id', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    sendJson(res, 200, await deps.extensions.get(c.orgId, req.params.id));
  });

  router.put('/:id', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const { before, after } = await deps.extensions.update(c.orgId, req.params.id, req.body);
    const names = (v: typeof before) => v.attributes.map((a) => a.name);
    await deps.audit.record({
      orgId: c.orgId,
      at: new Date(after.meta.lastModified),
      actor: c.actor,
      action: 'schema_extension.updated',
      target: { type: 'SchemaExtension', id: after.id },
      changes: [{ path: 'attributes', old: names(before), new: names(after) }],
      requestId: c.requestId,
    });
    sendJson(res, 200, after);
  });

  return router;
}
