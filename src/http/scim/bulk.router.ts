import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { BulkService } from '../../domain/bulk/bulk.service.js';
import { parseBulkRequest, payloadTooLarge } from '../../domain/bulk/bulk-request.js';
import { SCHEMA_URN } from '../../scim/schema-types.js';
import { toScimError } from '../errors.js';
import { requestContext, sendScim } from '../respond.js';
import { noteRefusal } from '../metrics.js';
import { refuseNulCharacters } from '../json-body.js';

export interface BulkRouterDeps {
  bulk: BulkService;
  baseUrl: string;
  maxOperations: number;
  maxPayloadBytes: number;
}

/** The media types every SCIM route reads (RFC 7644 3.1). */
const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

/** The /Bulk path, for the app-wide body parser to leave this route's body to bulkBodyParser. */
export function isBulkPath(url: string): boolean {
  return /^\/scim\/v2\/bulk\/?$/i.test(url.split('?')[0] ?? '');
}

/**
 * The body of a BulkRequest, read under maxPayloadSize. body-parser refuses a larger Content-Length
 * before reading, and stops reading a chunked body once it passes the limit, so an oversized
 * request is never held in memory. RFC 7644 3.7.4: 413 with the limit in the detail.
 */
function bulkBodyParser(maxPayloadBytes: number): RequestHandler {
  const parse = express.json({ limit: maxPayloadBytes, type: JSON_TYPES, strict: true, reviver: refuseNulCharacters });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      const e = err as { type?: string } | undefined;
      next(e?.type === 'entity.too.large' ? payloadTooLarge(maxPayloadBytes) : err);
    });
  };
}

/** POST /Bulk (RFC 7644 3.7). Mounted after authentication (scope scim). */
export function bulkRouter(deps: BulkRouterDeps): Router {
  const router = Router();
  router.post('/', bulkBodyParser(deps.maxPayloadBytes), async (req, res) => {
    const request = parseBulkRequest(req.body, deps.maxOperations);
    const results = await deps.bulk.run(requestContext(req, deps.baseUrl), request, {
      toError: (err) => {
        const error = toScimError(err);
        noteRefusal(res, error);
        if (error.status >= 500) req.log?.error({ err }, 'bulk operation failed');
        return error;
      },
    });
    // RFC 7644 3.7.3: 200 with each operation's own status, also when failOnErrors stopped the run.
    sendScim(res, 200, { schemas: [SCHEMA_URN.bulkResponse], Operations: results });
  });
  return router;
}
