import { Router, type NextFunction, type Request, type Response } from 'express';
import { resourceTypeToResource, schemaToResource } from '../../scim/schemas.js';
import type { ResourceTypeDef, SchemaDef } from '../../scim/schema-types.js';
import { buildServiceProviderConfig, type ServiceProviderConfigOptions } from '../../scim/service-provider-config.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import { notFound, ScimError } from '../../scim/errors.js';
import { externalBaseUrl, sendScim } from '../respond.js';
import { currentExtensions } from '../../scim/extensions.js';

/** The schemas served, with the calling organization's custom extensions when a token came with the request. */
function schemasOf(deps: DiscoveryDeps): SchemaDef[] {
  return [...deps.schemas, ...currentExtensions().map((e) => e.schema)];
}

function resourceTypesOf(deps: DiscoveryDeps): ResourceTypeDef[] {
  const custom = currentExtensions().map((e) => ({ schema: e.schema.id, required: false }));
  if (custom.length === 0) return deps.resourceTypes;
  return deps.resourceTypes.map((rt) => (rt.id === 'User' ? { ...rt, schemaExtensions: [...rt.schemaExtensions, ...custom] } : rt));
}

export interface DiscoveryDeps {
  baseUrl: string;
  /** Only the resource types this deployment serves: discovery never claims an endpoint that 404s. */
  resourceTypes: ResourceTypeDef[];
  schemas: SchemaDef[];
  serviceProvider: Omit<ServiceProviderConfigOptions, 'baseUrl'>;
}

function listResponse(resources: unknown[]) {
  return {
    schemas: [SCHEMA_URN.listResponse],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/**
 * RFC 7644 section 4: the discovery endpoints ignore paging and sorting, and a `filter` "SHOULD" be
 * answered with 403, so that no client takes the full list for the matches of its filter.
 */
function refuseFilter(req: Request, _res: Response, next: NextFunction): void {
  if (req.query.filter !== undefined) {
    next(new ScimError(403, 'the discovery endpoints do not filter (RFC 7644 section 4): read the whole list and select from it'));
    return;
  }
  next();
}

/** RFC 7644 section 4: what this server implements, and nothing it does not. */
export function discoveryRouter(deps: DiscoveryDeps): Router {
  const router = Router();
  for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:id', '/Schemas', '/Schemas/:id']) router.get(path, refuseFilter);
  const scimBase = (req: Parameters<typeof externalBaseUrl>[0]) => `${externalBaseUrl(req, deps.baseUrl)}/scim/v2`;

  router.get('/ServiceProviderConfig', (req, res) => {
    sendScim(res, 200, buildServiceProviderConfig({ ...deps.serviceProvider, baseUrl: scimBase(req) }));
  });
  router.get('/ResourceTypes', (req, res) => {
    sendScim(res, 200, listResponse(resourceTypesOf(deps).map((rt) => resourceTypeToResource(rt, scimBase(req)))));
  });
  router.get('/ResourceTypes/:id', (req, res) => {
    const rt = resourceTypesOf(deps).find((r) => r.id.toLowerCase() === req.params.id.toLowerCase());
    if (!rt) throw notFound(`ResourceType ${req.params.id} not found`);
    sendScim(res, 200, resourceTypeToResource(rt, scimBase(req)));
  });
  router.get('/Schemas', (req, res) => {
    sendScim(res, 200, listResponse(schemasOf(deps).map((s) => schemaToResource(s, scimBase(req)))));
  });
  router.get('/Schemas/:id', (req, res) => {
    const schema = schemasOf(deps).find((s) => s.id.toLowerCase() === req.params.id.toLowerCase());
    if (!schema) throw notFound(`Schema ${req.params.id} not found`);
    sendScim(res, 200, schemaToResource(schema, scimBase(req)));
  });
  return router;
}
