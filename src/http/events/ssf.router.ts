import { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditService } from '../../domain/audit/audit.service.js';
import type { RequestContext } from '../../domain/context.js';
import { EventService, POLL, PUSH } from '../../domain/events/event.service.js';
import { EVENTS_SUPPORTED } from '../../domain/events/scim-events.js';
import type { StreamRecord } from '../../store/event.repository.js';
import { ScimError, badRequest, notFound } from '../../scim/errors.js';
import { externalBaseUrl, requestContext, sendJson } from '../respond.js';
import type { RequestHandler } from 'express';

export interface SsfDeps {
  events: EventService;
  audit: AuditService;
  baseUrl: string;
  /** The port this process listens on: an endpoint_url on it at a loopback address is Roster itself. */
  port: number;
  authenticate: RequestHandler;
}

const SSF_PATHS = {
  jwks: '/ssf/jwks',
  configuration: '/ssf/streams',
  status: '/ssf/status',
  verification: '/ssf/verify',
  poll: '/ssf/poll',
};

/** OpenID Shared Signals Framework 1.0 section 7.1: the transmitter's metadata. */
export function ssfMetadata(base: string): Record<string, unknown> {
  return {
    spec_version: '1_0',
    issuer: base,
    jwks_uri: `${base}${SSF_PATHS.jwks}`,
    delivery_methods_supported: [PUSH, POLL],
    configuration_endpoint: `${base}${SSF_PATHS.configuration}`,
    status_endpoint: `${base}${SSF_PATHS.status}`,
    verification_endpoint: `${base}${SSF_PATHS.verification}`,
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
  };
}

const delivery = z
  .object({
    method: z.enum([PUSH, POLL]),
    endpoint_url: z.string().max(2000).optional(),
    authorization_header: z.string().min(1).max(4000).optional(),
  })
  .strict();

const streamBody = z
  .object({
    stream_id: z.string().optional(),
    delivery: delivery.optional(),
    events_requested: z.array(z.string().max(300)).max(50).optional(),
    description: z.string().max(500).optional(),
    aud: z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).min(1).max(1)]).optional(),
  })
  .strict();

const statusBody = z
  .object({ stream_id: z.string().min(1), status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().max(500).optional() })
  .strict();

const verifyBody = z.object({ stream_id: z.string().min(1), state: z.string().max(500).optional() }).strict();

const pollBody = z
  .object({
    ack: z.array(z.string().max(200)).max(1000).default([]),
    setErrs: z.record(z.string(), z.object({ err: z.string().max(100), description: z.string().max(1000).optional() })).default({}),
    maxEvents: z.number().int().min(0).max(1000).optional(),
    returnImmediately: z.boolean().default(false),
  })
  .strict();

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1', '0.0.0.0']);

/**
 * A push endpoint must be http(s), and not Roster itself: a stream pointed at its own transmitter
 * would post every SET back into Roster (a loop, or a request forged with the admin's header).
 */
function checkEndpoint(raw: string | undefined, req: Request, deps: SsfDeps): string {
  if (!raw) throw badRequest('invalidValue', 'delivery.endpoint_url is required for push delivery (urn:ietf:rfc:8935)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalidValue', `delivery.endpoint_url "${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest('invalidValue', `delivery.endpoint_url must be http or https, not "${url.protocol.replace(/:$/, '')}"`);
  }
  const own = new Set<string>();
  own.add(new URL(externalBaseUrl(req, deps.baseUrl)).host.toLowerCase());
  if (req.headers.host) own.add(req.headers.host.toLowerCase());
  const host = url.host.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (own.has(host) || (LOOPBACK.has(url.hostname.toLowerCase()) && deps.port > 0 && port === String(deps.port))) {
    throw badRequest('invalidValue', `delivery.endpoint_url ${url.origin} points at Roster itself; give the receiver's URL`);
  }
  return url.toString();
}

function eventsDelivered(requested: string[]): string[] {
  return requested.filter((e) => EVENTS_SUPPORTED.includes(e));
}

/** SSF 8.1.1: the stream configuration as a receiver sees it (the authorization header is never returned). */
function toConfig(s: StreamRecord, base: string): Record<string, unknown> {
  const deliveryOut: Record<string, unknown> = { method: s.method };
  if (s.method === PUSH) deliveryOut.endpoint_url = s.endpointUrl;
  else deliveryOut.endpoint_url = `${base}${SSF_PATHS.poll}/${s._id}`;
  return {
    stream_id: s._id,
    iss: s.iss,
    aud: s.aud,
    delivery: deliveryOut,
    events_supported: EVENTS_SUPPORTED,
    events_requested: s.eventsRequested,
    events_delivered: s.eventsDelivered,
    ...(s.description !== undefined ? { description: s.description } : {}),
  };
}

function streamId(req: Request): string {
  const id = typeof req.query.stream_id === 'string' ? req.query.stream_id : undefined;
  if (!id) throw badRequest('invalidValue', 'the stream_id query parameter is required');
  return id;
}

/**
 * The SSF transmitter: metadata and JWKS (public), stream management, status, verification and
 * polling (scope `admin`, the token's own organization: another organization's stream is 404).
 */
export function ssfRouter(deps: SsfDeps): Router {
  const router = Router();
  const { events } = deps;
  const base = (req: Request) => externalBaseUrl(req, deps.baseUrl);

  router.get('/.well-known/ssf-configuration', (req, res) => sendJson(res, 200, ssfMetadata(base(req))));
  router.get(SSF_PATHS.jwks, async (_req, res) => {
    res.setHeader('Cache-Control', 'max-age=60');
    sendJson(res, 200, await (await events.keys()).jwks());
  });

  const audit = async (c: RequestContext, action: 'event_stream.created' | 'event_stream.updated' | 'event_stream.deleted', s: StreamRecord, changes: { path: string; old: unknown; new: unknown }[]) => {
    await deps.audit.recordFor(c, new Date(), action, { type: 'EventStream', id: s._id }, changes);
  };

  const find = async (c: RequestContext, id: string): Promise<StreamRecord> => {
    const s = await events.repo.findStream(c.orgId, id);
    if (!s) throw notFound(`stream ${id} not found`);
    return s;
  };

  const ssf = Router();
  ssf.use(deps.authenticate);

  ssf.post('/streams', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const body = streamBody.parse(req.body ?? {});
    if (body.stream_id !== undefined) throw badRequest('invalidValue', 'stream_id is assigned by the transmitter');
    const d = body.delivery ?? { method: POLL };
    const requested = body.events_requested ?? [];
    const now = new Date();
    const id = randomUUID();
    const stream: StreamRecord = {
      _id: id,
      orgId: c.orgId,
      iss: base(req),
      aud: (Array.isArray(body.aud) ? body.aud[0] : body.aud) ?? `${base(req)}/ssf/streams/${id}`,
      method: d.method,
      eventsRequested: requested,
      eventsDelivered: eventsDelivered(requested),
      status: 'enabled',
      delivered: 0,
      retried: 0,
      failed: 0,
      created: now,
      updated: now,
    };
    if (body.description !== undefined) stream.description = body.description;
    if (d.method === PUSH) {
      stream.endpointUrl = checkEndpoint(d.endpoint_url, req, deps);
      if (d.authorization_header) stream.authorizationHeaderEnc = await events.wrap(d.authorization_header);
    } else if (d.endpoint_url !== undefined || d.authorization_header !== undefined) {
      throw badRequest('invalidValue', 'poll delivery (urn:ietf:rfc:8936): the transmitter supplies endpoint_url; give none');
    }
    await events.repo.insertStream(stream);
    events.streamChanged(c.orgId);
    await audit(c, 'event_stream.created', stream, [
      { path: 'delivery.method', old: null, new: stream.method },
      { path: 'events_delivered', old: null, new: stream.eventsDelivered },
    ]);
    sendJson(res, 201, toConfig(stream, base(req)));
  });

  ssf.get('/streams', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    if (typeof req.query.stream_id === 'string') {
      sendJson(res, 200, toConfig(await find(c, req.query.stream_id), base(req)));
      return;
    }
    sendJson(res, 200, (await events.repo.listStreams(c.orgId)).map((s) => toConfig(s, base(req))));
  });

  const update = (replace: boolean) =>
    (async (req, res) => {
      const c = requestContext(req, deps.baseUrl);
      const body = streamBody.parse(req.body ?? {});
      if (!body.stream_id) throw badRequest('invalidValue', 'stream_id is required');
      const current = await find(c, body.stream_id);
      const set: Partial<StreamRecord> = { updated: new Date() };
      const unset: string[] = [];
      const changes: { path: string; old: unknown; new: unknown }[] = [];
      const requested = body.events_requested ?? (replace ? [] : undefined);
      if (requested) {
        set.eventsRequested = requested;
        set.eventsDelivered = eventsDelivered(requested);
        changes.push({ path: 'events_delivered', old: current.eventsDelivered, new: set.eventsDelivered });
      }
      if (body.description !== undefined) set.description = body.description;
      else if (replace) unset.push('description');
      const d = body.delivery ?? (replace ? { method: POLL as typeof POLL } : undefined);
      if (d) {
        set.method = d.method;
        changes.push({ path: 'delivery.method', old: current.method, new: d.method });
        if (d.method === PUSH) {
          set.endpointUrl = checkEndpoint(d.endpoint_url, req, deps);
          if (d.authorization_header) set.authorizationHeaderEnc = await events.wrap(d.authorization_header);
          else if (replace) unset.push('authorizationHeaderEnc');
          changes.push({ path: 'delivery.endpoint_url', old: current.endpointUrl ?? null, new: set.endpointUrl });
        } else {
          unset.push('endpointUrl', 'authorizationHeaderEnc');
        }
      }
      const updated = await events.repo.updateStream(c.orgId, current._id, set, unset);
      if (!updated) throw notFound(`stream ${current._id} not found`);
      events.streamChanged(c.orgId);
      await audit(c, 'event_stream.updated', updated, changes);
      sendJson(res, 200, toConfig(updated, base(req)));
    }) as RequestHandler;
  ssf.patch('/streams', update(false));
  ssf.put('/streams', update(true));

  ssf.delete('/streams', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const current = await find(c, streamId(req));
    await events.repo.deleteStream(c.orgId, current._id);
    events.streamChanged(c.orgId);
    await audit(c, 'event_stream.deleted', current, []);
    res.status(204).end();
  });

  ssf.get('/status', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const s = await find(c, streamId(req));
    sendJson(res, 200, { stream_id: s._id, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) });
  });

  ssf.post('/status', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const body = statusBody.parse(req.body ?? {});
    const current = await find(c, body.stream_id);
    const s = await events.setStatus(c.orgId, current._id, body.status, body.reason);
    if (!s) throw notFound(`stream ${body.stream_id} not found`);
    await audit(c, 'event_stream.updated', s, [{ path: 'status', old: current.status, new: s.status }]);
    sendJson(res, 200, { stream_id: s._id, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) });
  });

  ssf.post('/verify', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const body = verifyBody.parse(req.body ?? {});
    const s = await find(c, body.stream_id);
    if (s.status !== 'enabled') throw new ScimError(409, `stream ${s._id} is ${s.status}: enable it first`);
    await events.verify(c.orgId, s, body.state);
    res.status(204).end();
  });

  ssf.post('/poll/:streamId', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const s = await find(c, String(req.params.streamId));
    if (s.method !== POLL) throw badRequest('invalidValue', `stream ${s._id} delivers by push, not poll`);
    const body = pollBody.parse(req.body ?? {});
    sendJson(res, 200, await events.poll(s, body));
  });

  router.use('/ssf', ssf);
  return router;
}

/** Side API (scope `admin`): the organization's streams for the console, a test send, key rotation. */
export function eventStreamsRouter(deps: { events: EventService; audit: AuditService; baseUrl: string }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const streams = await deps.events.repo.listStreams(c.orgId);
    const items = await Promise.all(
      streams.map(async (s) => ({
        id: s._id,
        description: s.description ?? null,
        method: s.method === PUSH ? 'push' : 'poll',
        endpointUrl: s.endpointUrl ?? null,
        eventsDelivered: s.eventsDelivered,
        status: s.status,
        statusReason: s.statusReason ?? null,
        backlog: await deps.events.repo.backlog(s._id),
        lastError: s.lastError ?? null,
        lastErrorAt: s.lastErrorAt?.toISOString() ?? null,
        delivered: await deps.events.repo.sentCount(s._id, 'delivered'),
        retried: s.retried,
        failed: s.failed,
        created: s.created.toISOString(),
      })),
    );
    sendJson(res, 200, { items });
  });

  router.post('/:id/test', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const s = await deps.events.repo.findStream(c.orgId, String(req.params.id));
    if (!s) throw notFound(`stream ${String(req.params.id)} not found`);
    if (s.status !== 'enabled') throw new ScimError(409, `stream ${s._id} is ${s.status}: enable it first`);
    const jti = await deps.events.verify(c.orgId, s, `test:${new Date().toISOString()}`);
    sendJson(res, 202, { jti });
  });

  router.post('/keys/rotate', async (req, res) => {
    const c = requestContext(req, deps.baseUrl);
    const rotated = await (await deps.events.keys()).rotate(c.orgId);
    await deps.audit.recordFor(
      c,
      new Date(),
      'event_key.rotated',
      { type: 'EventKey', id: rotated.kid },
      [{ path: 'kid', old: rotated.retired[0] ?? null, new: rotated.kid }],
    );
    sendJson(res, 200, { kid: rotated.kid });
  });
  return router;
}
