import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { Metrics, Rule } from '../metrics.js';
import type { ScimError } from '../scim/errors.js';
import { sameHash } from '../domain/secrets.js';
import { ScimError as ScimErrorCtor, unauthorized } from '../scim/errors.js';
import { ERROR_CODE } from './request-log.js';

const REFUSALS = Symbol('roster.refusals');

/** Notes a business-rule refusal on the response (the error handler and /Bulk's per-operation errors). */
export function noteRefusal(res: Response, error: ScimError): void {
  const rule: Rule | undefined = error.rule ?? (error.scimType === 'uniqueness' ? 'uniqueness' : undefined);
  if (!rule) return;
  const r = res as Response & { [REFUSALS]?: Rule[] };
  (r[REFUSALS] ??= []).push(rule);
}

/**
 * Maps a request path to the OpenAPI document's path template ("/scim/v2/Users/{id}"), so metric
 * labels never carry ids; literal templates win over parameterized ones ("/Users/.search" over
 * "/Users/{id}"). Paths the document does not describe are "unmatched".
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
      ),
    }))
    .sort((a, b) => a.params - b.params);
  return (path: string) => compiled.find((c) => c.pattern.test(path))?.template ?? 'unmatched';
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

/**
 * 405 with Allow (RFC 9110 15.5.6) for a method the document does not list on a path it describes
 * (TRACE on /scim/v2/Bulk, DELETE on /api/v1/kpis); HEAD goes with GET. Unknown paths stay 404.
 */
export function methodNotAllowed(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const templates = Object.keys(paths);
  const match = routeMatcher(templates);
  // HEAD right after GET, in the order the SCIM router's own 405 names them (src/http/scim/methods.ts).
  const methods = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
  return (req: Request, _res: Response, next: NextFunction) => {
    const template = match(req.path);
    if (template === 'unmatched') return next();
    const allowed = methods.filter((m) => paths[template]![m] || (m === 'head' && paths[template]!.get)).map((m) => m.toUpperCase());
    if (allowed.includes(req.method)) return next();
    // RFC 9110 9.3.7: OPTIONS asks what the path serves. The SCIM router answers it from the protocol's
    // table; elsewhere the document's methods are the answer (Express's own would name only the
    // routes of the first router that matched).
    if (req.method === 'OPTIONS') {
      if (template.startsWith('/scim/')) return next();
      _res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
      _res.status(204).end();
      return;
    }
    next(new ScimErrorCtor(405, `${req.method} is not allowed on ${template}; allowed: ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') }));
  };
}
