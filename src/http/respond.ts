import type { Request, Response } from 'express';
import { SCIM_CONTENT_TYPE } from './errors.js';
import type { RequestContext } from '../domain/context.js';
import { notFound } from '../scim/errors.js';

export function sendScim(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).json(body);
}

/** The external base URL: BASE_URL when configured, else what the request came in on. */
export function externalBaseUrl(req: Request, configured: string): string {
  if (configured) return configured;
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function requestContext(req: Request, configuredBaseUrl: string): RequestContext {
  const principal = req.user;
  // Authentication ran before: an org-less token here is an operator token on an organization route.
  if (!principal?.orgId) throw notFound('this token belongs to no organization');
  return {
    orgId: principal.orgId,
    actor: principal.actor ?? { type: 'token', id: principal.tokenId, name: principal.tokenName },
    requestId: String(req.id ?? ''),
    scimBaseUrl: `${externalBaseUrl(req, configuredBaseUrl)}/scim/v2`,
  };
}
