import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { runWithExtensions } from '../../scim/extensions.js';
import type { SchemaExtensionService } from '../../domain/schema-extensions.js';

/**
 * Runs the rest of a SCIM request with the calling organization's custom schema extensions
 * (scim/extensions.ts); after authentication, so the organization is the token's.
 */
export function extensionsContext(extensions: SchemaExtensionService): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const orgId = req.user?.orgId;
    const defs = orgId ? await extensions.forOrg(orgId) : [];
    runWithExtensions(defs, () => next());
  };
}

/**
 * Discovery is public (RFC 7644 section 4); with an organization's bearer token it also shows that
 * organization's custom extensions (README "Custom schema extensions").
 */
export function optionally(authenticate: RequestHandler): RequestHandler {
  return (req, res, next) => (req.get('authorization') ? authenticate(req, res, next) : next());
}
