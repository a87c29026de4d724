import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ScimError } from '../../scim/errors.js';

/**
 * The methods each SCIM path serves (RFC 7644 3.2 table 1, section 4 for the discovery endpoints,
 * 3.4.3 for .search, 3.7 for /Bulk). Paths are relative to /scim/v2, matched case-insensitively as
 * Express routes are.
 */
const SERVED: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/ServiceProviderConfig$/i, methods: ['GET', 'HEAD'] },
  { pattern: /^\/(ResourceTypes|Schemas)(\/[^/]+)?$/i, methods: ['GET', 'HEAD'] },
  { pattern: /^\/(Users|Groups)\/\.search$/i, methods: ['POST'] },
  { pattern: /^\/(Users|Groups)$/i, methods: ['GET', 'HEAD', 'POST'] },
  { pattern: /^\/(Users|Groups)\/[^/]+$/i, methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'] },
  { pattern: /^\/\.search$/i, methods: ['POST'] },
  { pattern: /^\/Bulk$/i, methods: ['POST'] },
];

/** The methods served on a SCIM path (relative to /scim/v2), or undefined when nothing is served there. */
export function allowedMethods(path: string): string[] | undefined {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return SERVED.find((s) => s.pattern.test(p))?.methods;
}

/**
 * Placed before the SCIM routers (so `GET /Users/.search` is not read as a user id): a request on a
 * served path with a method the path does not serve is answered here. RFC 7644 3.12 lists 405 for an endpoint that does not support the operation (e.g.
 * PUT on /ServiceProviderConfig, section 4), and RFC 9110 15.5.6 requires the Allow header with it.
 */
export function methodNotAllowed(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const allowed = allowedMethods(req.path);
    if (!allowed || allowed.includes(req.method.toUpperCase())) {
      next();
      return;
    }
    // RFC 9110 9.3.7: OPTIONS asks what the path serves.
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
      res.status(204).end();
      return;
    }
    next(
      new ScimError(405, `${req.method.toUpperCase()} is not supported on ${req.baseUrl}${req.path}; allowed: ${allowed.join(', ')}`, undefined, {
        Allow: allowed.join(', '),
      }),
    );
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
