import { randomUUID } from 'node:crypto';

/**
 * The SCIM provisioning events of RFC 9967 section 2.4 and how Roster records one change.
 *
 * A change is recorded as a `ChangeEvent` inside the changed document itself (`pendingEvents`), in
 * the same write as the change: see docs/events.md "Never lost, never invented" and
 * event-relay.ts. The SETs (RFC 8417) sent to each stream are made from it by the relay.
 */

export const EVENT_PREFIX = 'urn:ietf:params:scim:event:prov';
export const PROV = {
  createFull: `${EVENT_PREFIX}:create:full`,
  createNotice: `${EVENT_PREFIX}:create:notice`,
  putFull: `${EVENT_PREFIX}:put:full`,
  putNotice: `${EVENT_PREFIX}:put:notice`,
  patchFull: `${EVENT_PREFIX}:patch:full`,
  patchNotice: `${EVENT_PREFIX}:patch:notice`,
  delete: `${EVENT_PREFIX}:delete`,
  activate: `${EVENT_PREFIX}:activate`,
  deactivate: `${EVENT_PREFIX}:deactivate`,
} as const;

/** The SSF verification event (OpenID Shared Signals Framework 1.0, section 8.1.4). */
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** Every event type a stream may request (`events_supported`). */
export const EVENTS_SUPPORTED: string[] = [...Object.values(PROV), SSF_VERIFICATION];

export type ChangeKind = ChangeEvent['kind'];

export type { ChangeEvent } from '../../store/event.repository.js';
import type { ChangeEvent } from '../../store/event.repository.js';

export function newChangeEvent(fields: Omit<ChangeEvent, 'id'>): ChangeEvent {
  const event: ChangeEvent = { id: randomUUID(), ...fields };
  if (event.externalId === undefined) delete event.externalId;
  if (event.version === undefined) delete event.version;
  if (event.data === undefined) delete event.data;
  if (event.activation === undefined) delete event.activation;
  return event;
}

/** Top-level attribute names among changed paths (`name.givenName` → `name`), `password` included when it changed. */
export function changedAttributes(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    if (p === 'mustChangePassword') continue;
    if (p.startsWith('urn:')) out.add(p.slice(0, p.lastIndexOf(':')) || p);
    else out.add(p.split('.')[0]!);
  }
  return [...out];
}

function kindUris(kind: ChangeKind): { full?: string; notice?: string; plain?: string } {
  switch (kind) {
    case 'create':
      return { full: PROV.createFull, notice: PROV.createNotice };
    case 'put':
      return { full: PROV.putFull, notice: PROV.putNotice };
    case 'patch':
      return { full: PROV.patchFull, notice: PROV.patchNotice };
    case 'delete':
      return { plain: PROV.delete };
  }
}

/**
 * The `events` claim of the SET for one change on a stream that asked for `delivered` types, or
 * undefined when it asked for none of them. The full form wins when a stream asked for both.
 */
export function eventsClaim(event: ChangeEvent, delivered: ReadonlySet<string>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const uris = kindUris(event.kind);
  const version = event.version !== undefined ? { version: event.version } : {};
  if (uris.plain && delivered.has(uris.plain)) out[uris.plain] = {};
  else if (uris.full && delivered.has(uris.full) && event.data !== undefined) {
    out[uris.full] = { ...version, data: JSON.parse(event.data) as unknown };
  } else if (uris.notice && delivered.has(uris.notice)) {
    out[uris.notice] = { ...version, attributes: event.attributes };
  }
  if (event.activation) {
    const uri = event.activation === 'activate' ? PROV.activate : PROV.deactivate;
    if (delivered.has(uri)) out[uri] = {};
  }
  return Object.keys(out).length ? out : undefined;
}

/** The RFC 9967 section 2.1 subject: `{format: "scim", uri: "/Users/<id>", id, externalId?}`. */
export function scimSubject(event: Pick<ChangeEvent, 'resourceType' | 'resourceId' | 'externalId'>): Record<string, string> {
  const sub: Record<string, string> = {
    format: 'scim',
    uri: `/${event.resourceType === 'User' ? 'Users' : 'Groups'}/${event.resourceId}`,
    id: event.resourceId,
  };
  if (event.externalId !== undefined) sub.externalId = event.externalId;
  return sub;
}
