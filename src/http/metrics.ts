import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { Metrics, Rule } from '../metrics.js';
import type { ScimError } from '../scim/errors.js';
import { sameHash } from '../domain/secrets.js';
import { unauthorized } from '../scim/errors.js';
import { routeMatcher } from './methods.js';
import { ERROR_CODE } from './request-log.js';

const REFUSALS = Symbol('roster.refusals');

/** Notes a business-rule refusal on the response (the error handler and /Bulk's per-operation errors). */
export function noteRefusal(res: Response, error: ScimError): void {
  const rule: Rule | undefined = error.rule ?? (error.scimType === 'uniqueness' ? 'uniqueness' : undefined);
  if (!rule) return;
  const r = res as Response & { [REFUSALS]?: Rule[] };
  (r[REFUSALS] ??= []).push(rule);
}

const SCIM_OPERATIONS: Record<string, string> = {
  'GET collection': 'list',
  'POST collection': 'create',
  'GET item': 'get',
  'PUT item': 'replace',
  'PATCH item': 'patch',
  'DELETE item': 'delete',
  'POST search': 'search',
};

/** SCIM resource and operation of a route template, or undefined outside /scim/v2. */
export function scimOperation(method: string, template: string): { resource: string; operation: string } | undefined {
  if (!template.startsWith('/scim/v2')) return undefined;
  const rest = template.slice('/scim/v2'.length);
  if (rest === '/Bulk') return { resource: 'Bulk', operation: 'bulk' };
  if (rest === '/.search') return { resource: 'Users', operation: 'search' };
  const [, resource, tail] = /^\/(Users|Groups)(.*)$/.exec(rest) ?? [];
  if (!resource) return { resource: 'Discovery', operation: 'get' };
  const shape = tail === '' ? 'collection' : tail === '/.search' ? 'search' : 'item';
  const operation = SCIM_OPERATIONS[`${method} ${shape}`];
  return operation ? { resource, operation } : undefined;
}

/** Records every request's route, method, status and latency, SCIM operations, rule refusals and sign-in outcomes. */
export function observeRequests(metrics: Metrics, templates: string[]): RequestHandler {
  const match = routeMatcher(templates);
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    metrics.httpInFlight.inc();
    // 'close' comes after 'finish', and also when the client went away first.
    res.once('close', () => metrics.httpInFlight.dec());
    res.once('finish', () => {
      const route = match(req.originalUrl.split('?')[0] ?? '/');
      const method = req.method;
      const status = String(res.statusCode);
      metrics.httpRequests.inc({ route, method, status });
      metrics.httpDuration.observe({ route, method }, Number(process.hrtime.bigint() - started) / 1e9);
      const scim = scimOperation(method, route);
      if (scim) metrics.scimOperations.inc({ ...scim, outcome: `${status[0]}xx` });
      for (const rule of (res as Response & { [REFUSALS]?: Rule[] })[REFUSALS] ?? []) metrics.ruleRefused(rule);
      if (method === 'POST' && (route === '/api/v1/sessions' || route === '/api/v1/sessions/password-change')) {
        const code = (res as unknown as Record<symbol, string | undefined>)[ERROR_CODE];
        metrics.signins.inc({ outcome: res.statusCode < 400 ? 'success' : (code ?? `status${status}`) });
      }
    });
    next();
  };
}

/**
 * GET /metrics in Prometheus text format, for a scraper holding ROSTER_METRICS_TOKEN (a static bearer
 * token of its own, apart from the organizations' tokens). Mounted only when that token is set.
 */
export function metricsRouter(metrics: Metrics, token: string): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!sameHash(given, token)) return next(unauthorized('the metrics token is required'));
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
