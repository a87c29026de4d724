import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { externalBaseUrl } from './respond.js';

export interface OpenapiRouterDeps {
  /** Where openapi/ lives (config.projectRoot): the same in the source tree and the Docker image. */
  projectRoot: string;
  /** BASE_URL, or '' to take the base URL from the request. */
  baseUrl: string;
}

/** Reads the document once; a missing or broken file stops start-up rather than failing requests. */
export function loadOpenapiDocument(projectRoot: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(projectRoot, 'openapi', 'openapi.json'), 'utf8')) as Record<string, unknown>;
}

/** GET /openapi.json: the contract the tests hold every route to (docs/architecture.md "Contract"). Public, like /healthz. */
export function openapiRouter(deps: OpenapiRouterDeps): Router {
  const document = loadOpenapiDocument(deps.projectRoot);
  const router = Router();
  router.get('/openapi.json', (req, res) => {
    // The file's servers entry is relative; an absolute one lets clients and tools call the API they fetched it from.
    res.json({ ...document, servers: [{ url: externalBaseUrl(req, deps.baseUrl) }] });
  });
  return router;
}
