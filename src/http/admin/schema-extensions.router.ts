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
    await deps.audit.recordFor(
      c,
      new Date(created.meta.created),
      'schema_extension.created',
      { type: 'SchemaExtension', id: created.id },
      [{ path: 'attributes', old: null, new: created.attributes.map((a) => a.name) }],
    );
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
    await deps.audit.recordFor(
      c,
      new Date(after.meta.lastModified),
      'schema_extension.updated',
      { type: 'SchemaExtension', id: after.id },
      [{ path: 'attributes', old: names(before), new: names(after) }],
    );
    sendJson(res, 200, after);
  });

  return router;
}
