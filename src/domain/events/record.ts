import type { GroupRecord } from '../../store/group.repository.js';
import type { UserRecord } from '../../store/user.repository.js';
import { diffGroups } from '../audit/group-diff.js';
import { diffUsers } from '../audit/user-diff.js';
import type { RequestContext } from '../context.js';
import { groupToScim } from '../groups/group.mapper.js';
import { userToScim } from '../users/user.mapper.js';
import { changedAttributes, newChangeEvent, type ChangeEvent, type ChangeKind } from './scim-events.js';

/** Told after a change that carries an event was written (EventService.notify). */
export interface EventSink {
  /** Whether a change in the organization needs an event (it has streams, or may have). */
  wants(orgId: string): boolean;
  /** Whether an event was handed on already, so a later write may leave it out of its document. */
  isRelayed(eventId: string): boolean;
  notify(type: 'User' | 'Group', id: string, orgId: string, events: import('./scim-events.js').ChangeEvent[]): void;
  /** Hands on the events a document still carries, now: before the document is removed. */
  flush(type: 'User' | 'Group', id: string): Promise<void>;
  /** The event of a change that removes its document, recorded before that write... */
  beforeDelete(orgId: string, event: ChangeEvent): Promise<void>;
  /** ...and confirmed (`done`) or dropped after it. */
  afterDelete(orgId: string, event: ChangeEvent, done: boolean): Promise<void>;
}

function etag(version: number): string {
  return `W/"${version}"`;
}

/**
 * prov:activate when the user can sign in again or for the first time (RFC 9967 2.4.5: "an account
 * that may be logged in"), prov:deactivate when SCIM `active` turns false (2.4.6).
 */
function activationOf(before: UserRecord | undefined, after: UserRecord): ChangeEvent['activation'] {
  if (!before || after.status === 'deleted') return undefined;
  if (after.status === 'active' && before.status !== 'active') return 'activate';
  if (before.active && !after.active) return 'deactivate';
  return undefined;
}

/**
 * The events a document being written keeps: those it carried that are not handed on yet
 * (an event leaves its document only once queued; see EventService).
 */
function carried(sink: EventSink | undefined, before: { pendingEvents?: ChangeEvent[] } | undefined): ChangeEvent[] {
  const events = before?.pendingEvents ?? [];
  return sink ? events.filter((e) => !sink.isRelayed(e.id)) : events;
}

/** Sets the events a written document carries; none: the field is left out. */
function setEvents(after: { pendingEvents?: ChangeEvent[] }, events: ChangeEvent[]): void {
  if (events.length) after.pendingEvents = events;
  else delete after.pendingEvents;
}

/**
 * Puts the event of a user change into the document about to be written (`after`), behind the
 * events the document still carries: the change and its event are then one write (docs/events.md).
 * An organization without streams gets no event (`sink.wants`), but carried events always stay.
 */
export function stampUserEvent(sink: EventSink | undefined, ctx: RequestContext, kind: ChangeKind, before: UserRecord | undefined, after: UserRecord): void {
  const keep = carried(sink, before);
  if (!sink?.wants(ctx.orgId)) {
    setEvents(after, keep);
    return;
  }
  const data = kind === 'delete' ? undefined : JSON.stringify(userToScim({ ...after, pendingEvents: undefined } as UserRecord, ctx.scimBaseUrl));
  const attributes =
    kind === 'create'
      ? [...Object.keys(JSON.parse(data ?? '{}') as object).filter((k) => k !== 'schemas' && k !== 'meta'), ...(after.passwordHash ? ['password'] : [])]
      : changedAttributes(diffUsers(before, after).map((c) => c.path));
  const event = changeEvent(ctx, kind, 'User', after, attributes, data, activationOf(before, after));
  setEvents(after, [...keep, event]);
}

/** The event of one change of a user or group, as written (`after`), in the request's transaction. */
function changeEvent(
  ctx: RequestContext,
  kind: ChangeKind,
  resourceType: ChangeEvent['resourceType'],
  after: { _id: string; externalId?: string | undefined; version: number; lastModified: Date },
  attributes: string[],
  data: string | undefined,
  activation?: ChangeEvent['activation'],
): ChangeEvent {
  return newChangeEvent({
    kind,
    ...(activation ? { activation } : {}),
    resourceType,
    resourceId: after._id,
    ...(after.externalId !== undefined ? { externalId: after.externalId } : {}),
    ...(kind !== 'delete' ? { version: etag(after.version) } : {}),
    txn: ctx.requestId,
    at: after.lastModified,
    attributes,
    ...(data !== undefined ? { data } : {}),
  });
}

/** A group change's event; `members` changed adds "members" to the notice form's attributes. */
export function groupEvent(
  ctx: RequestContext,
  kind: ChangeKind,
  before: GroupRecord | undefined,
  after: GroupRecord,
  options: { membersChanged?: boolean; members?: string[] } = {},
): ChangeEvent {
  const clean = { ...after, pendingEvents: undefined } as GroupRecord;
  const representation = kind === 'delete' ? undefined : groupToScim(clean, ctx.scimBaseUrl, options.members);
  const attributes =
    kind === 'create'
      ? Object.keys(representation ?? {}).filter((k) => k !== 'schemas' && k !== 'meta')
      : diffGroups(before, after).map((c) => c.path).filter((p) => p !== 'role'); // the bound role is no SCIM attribute
  if (options.membersChanged && !attributes.includes('members')) attributes.push('members');
  return changeEvent(ctx, kind, 'Group', after, attributes, representation ? JSON.stringify(representation) : undefined);
}

/** Puts a group change's event into the group document about to be written (as stampUserEvent). */
export function stampGroupEvent(sink: EventSink | undefined, ctx: RequestContext, kind: ChangeKind, before: GroupRecord | undefined, after: GroupRecord): void {
  const keep = carried(sink, before);
  setEvents(after, sink?.wants(ctx.orgId) ? [...keep, groupEvent(ctx, kind, before, after)] : keep);
}
