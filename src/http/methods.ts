import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ScimError } from '../scim/errors.js';

/**
 * Maps a request path to the OpenAPI document's path template ("/scim/v2/Users/{id}"), so metric
 * labels never carry ids; literal templates win over parameterized ones ("/Users/.search" over
 * "/Users/{id}"). Letter case is ignored, as Express routes ignore it (`/scim/v2/users` is served);
 * a trailing slash is allowed. Paths the document does not describe are "unmatched".
 */
export function routeMatcher(templates: string[]): (path: string) => string {
  const compiled = templates
    .map((template) => ({
      template,
      params: (template.match(/\{[^}]+\}/g) ?? []).length,
      pattern: new RegExp(
        `^${template
          .split(/(\{[^}]+\})/)
          .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('')}/?$`,
        'i',
      ),
    }))
    .sort((a, b) => a.params - b.params);
  return (path: string) => compiled.find((c) => c.pattern.test(path))?.template ?? 'unmatched';
}

/**
 * The methods the OpenAPI document lists on the path a request names (HEAD goes with GET), or
 * undefined for a path it does not describe. The document is the one table of what is served: the
 * SCIM paths are RFC 7644 3.2's table 1, section 4's discovery endpoints, 3.4.3's .search and 3.7's
 * /Bulk, and a test holds the document to the routes.
 */
export function documentedMethods(paths: Record<string, Record<string, unknown>>): (path: string) => string[] | undefined {
  const match = routeMatcher(Object.keys(paths));
  const methods = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
  return (path) => {
    const template = match(path);
    if (template === 'unmatched') return undefined;
    const item = paths[template]!;
    return methods.filter((m) => item[m] || (m === 'head' && item.get)).map((m) => m.toUpperCase());
  };
}

/**
 * 405 with Allow (RFC 9110 15.5.6; RFC 7644 3.12 for SCIM, e.g. PUT on /ServiceProviderConfig) for a
 * method the document does not list on a path it describes (TRACE on /scim/v2/Bulk, DELETE on
 * /api/v1/kpis); OPTIONS (RFC 9110 9.3.7) answers 204 with Allow. Before authentication: what a path
 * serves is public in the served document. Unknown paths stay 404.
 */
export function methodNotAllowed(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const allowedOn = documentedMethods(paths);
  return (req: Request, res: Response, next: NextFunction) => {
    const allowed = allowedOn(req.path);
    if (!allowed || allowed.includes(req.method)) return next();
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
      res.status(204).end();
      return;
    }
    next(new ScimError(405, `${req.method} is not allowed on ${req.path}; allowed: ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') }));
  };
}

/**
 * Collapses doubled slashes in the path (not the query): a base URL entered with a trailing slash
 * makes identity providers request `/scim/v2//Users` (docs/entra-id.md, docs/okta.md).
 */
export function collapseSlashes(req: Request, _res: Response, next: NextFunction): void {
  const url = req.url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.includes('//')) req.url = path.replace(/\/{2,}/g, '/') + (q === -1 ? '' : url.slice(q));
  next();
}
