import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ImportService } from '../../domain/imports/import.service.js';
import type { ImportFormat } from '../../domain/imports/rows.js';
import { ScimError } from '../../scim/errors.js';
import { externalBaseUrl, requestContext, sendJson } from '../respond.js';
import { queryInteger } from '../../domain/query-integer.js';

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The media types an import accepts, and the parser each one selects. */
const FORMATS: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  [XLSX_MEDIA_TYPE]: 'xlsx',
};
const ACCEPTED = Object.keys(FORMATS).join(', ');

/** The upload route reads its own body (the file, up to ROSTER_IMPORT_MAX_BYTES): app.ts's JSON parser must skip it. */
export function isImportPath(url: string): boolean {
  return /^\/api\/v1\/imports\/?$/i.test(url.split('?')[0] ?? '');
}

/** The format a Content-Type selects, or a 415 naming what is accepted. */
export function importFormatOf(contentType: string | undefined): ImportFormat {
  if (!contentType) throw new ScimError(415, `Content-Type: missing; send the file as one of ${ACCEPTED}`);
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim());
  const format = FORMATS[type.toLowerCase()];
  if (!format) {
    const hint = type.toLowerCase() === 'application/vnd.ms-excel' ? ' (save an .xls workbook as .xlsx first)' : '';
    throw new ScimError(415, `Content-Type: "${type}" is not an import format${hint}; send one of ${ACCEPTED}`);
  }
  const charset = params.map((p) => /^charset=("?)([^"]+)\1$/i.exec(p)?.[2]).find((c) => c !== undefined);
  // The parsers read UTF-8 (with or without a BOM), as Excel's "CSV UTF-8" and every JSON writer produce.
  if (charset && !/^utf-?8$/i.test(charset)) {
    throw new ScimError(415, `Content-Type: charset "${charset}" is not supported; send the file in UTF-8`);
  }
  return format;
}

const uploadQuery = z.object({ fileName: z.string().trim().min(1).max(255).optional() });

const jobQuery = z.object({
  errorsStartIndex: queryInteger((n) => n.int().min(1).optional()),
  errorsCount: queryInteger((n) => n.int().min(0).max(1000).optional()),
});

/** Failed rows listed per GET without errorsCount. */
export const DEFAULT_ERRORS_COUNT = 100;

export interface ImportsRouterDeps {
  imports: ImportService;
  baseUrl: string;
  /** Base of the accept links the invitations carry (ROSTER_PUBLIC_URL); empty: the external base URL. */
  publicUrl: string;
  /** ROSTER_IMPORT_MAX_BYTES */
  maxBytes: number;
}

/**
 * Side API (scope `admin`): `POST /imports` with the file itself as the body starts a bulk invitation
 * job and answers 202 with it; `GET /jobs/{id}` reports its progress and failed rows.
 */
export function importsRouter(deps: ImportsRouterDeps): Router {
  const router = Router();
  const readBody = express.raw({ type: () => true, limit: deps.maxBytes });

  router.post(
    '/',
    // The media type is checked before a byte of the body is read: 415 even for a huge body.
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.importFormat = importFormatOf(req.get('content-type'));
      next();
    },
    (req: Request, res: Response, next: NextFunction) => {
      readBody(req, res, (err?: unknown) => {
        const e = err as { type?: string } | undefined;
        if (e?.type === 'entity.too.large') {
          return next(new ScimError(413, `file: larger than this server accepts (ROSTER_IMPORT_MAX_BYTES, ${deps.maxBytes} bytes)`, 'tooLarge'));
        }
        next(err);
      });
    },
    async (req: Request, res: Response) => {
      const c = requestContext(req, deps.baseUrl);
      const { fileName } = uploadQuery.parse(req.query);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const base = externalBaseUrl(req, deps.baseUrl);
      const job = await deps.imports.submit(
        c,
        { format: res.locals.importFormat as ImportFormat, fileName, data },
        deps.publicUrl || base,
      );
      res.setHeader('Location', `${base}/api/v1/jobs/${job.id}`);
      sendJson(res, 202, job);
    },
  );
  return router;
}

export function jobsRouter(deps: { imports: ImportService; baseUrl: string }): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const q = jobQuery.parse(req.query);
    const page = { startIndex: q.errorsStartIndex ?? 1, count: q.errorsCount ?? DEFAULT_ERRORS_COUNT };
    sendJson(res, 200, await deps.imports.get(c, req.params.id, page));
  });
  return router;
}
