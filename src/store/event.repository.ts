import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';

/**
 * One change to a user or group, as stored with the change. `data` is the resource's SCIM
 * representation after the change (never a password: the representation has none), as JSON text
 * because SCIM attribute names such as the enterprise extension's URN contain "." and `$ref`
 * starts with "$", which no stored key may.
 */
export interface ChangeEvent {
  id: string;
  kind: 'create' | 'put' | 'patch' | 'delete';
  /** prov:activate / prov:deactivate in the same SET (RFC 9967 2.4.5, 2.4.6): sign-in access began or ended. */
  activation?: 'activate' | 'deactivate';
  resourceType: 'User' | 'Group';
  resourceId: string;
  externalId?: string;
  /** The resource's ETag after the change (RFC 9967 2.2 `version`); absent for delete. */
  version?: string;
  /** The request's id: shared by every event of one request (RFC 9967 2.2 `txn`). */
  txn: string;
  at: Date;
  /** Attribute paths created or modified (the notice form's `attributes`). */
  attributes: string[];
  /** The full form's `data`: the SCIM representation after the change, as JSON text. */
  data?: string;
}

export type StreamStatus = 'enabled' | 'paused' | 'disabled';
export type DeliveryMethod = 'urn:ietf:rfc:8935' | 'urn:ietf:rfc:8936';

/** An SSF event stream (OpenID Shared Signals Framework 1.0 section 8.1.1), owned by one organization. */
export interface StreamRecord {
  _id: string;
  orgId: string;
  /** The SETs' `iss`: Roster's base URL when the stream was created. */
  iss: string;
  aud: string;
  description?: string;
  method: DeliveryMethod;
  endpointUrl?: string;
  /** The receiver's Authorization header value, encrypted (see signing-keys.ts); never returned. */
  authorizationHeaderEnc?: string;
  eventsRequested: string[];
  eventsDelivered: string[];
  status: StreamStatus;
  statusReason?: string;
  lastError?: string;
  lastErrorAt?: Date;
  delivered: number;
  retried: number;
  failed: number;
  created: Date;
  updated: Date;
}

/** One SET owed to one stream. `_id` is the SET's jti: a redelivery sends the same token. */
export interface QueueRecord {
  _id: string;
  orgId: string;
  streamId: string;
  /** Delivery order within the stream (insertion order; see event-relay.ts). */
  seq: number;
  eventId: string;
  kid: string;
  set: string;
  state: 'pending';
  attempts: number;
  nextAttemptAt: Date;
  firstAttemptAt?: Date;
  lastError?: string;
  created: Date;
}

/** A SET no longer owed: delivered, or rejected by the receiver (RFC 8935 2.3, RFC 8936 setErrs). */
export interface SentRecord {
  _id: string;
  orgId: string;
  streamId: string;
  kid: string;
  state: 'delivered' | 'rejected';
  at: Date;
  error?: string;
}

/** A per-organization signing key. The private key is stored encrypted (signing-keys.ts). */
export interface SigningKeyRecord {
  _id: string;
  orgId: string;
  alg: 'ES256';
  publicJwk: Record<string, string>;
  privateKeyEnc: string;
  state: 'active' | 'retired';
  created: Date;
  retiredAt?: Date;
}

/**
 * The event of a change that removes the changed document (a group's DELETE): it cannot travel
 * inside a document that is about to disappear, so it is written here first and confirmed by the
 * document being gone (event-relay.ts).
 */
export interface PendingDeleteRecord {
  _id: string;
  orgId: string;
  resourceType: 'User' | 'Group';
  resourceId: string;
  event: ChangeEvent;
  created: Date;
}

export class EventRepository {
  readonly streams: Collection<StreamRecord>;
  readonly queue: Collection<QueueRecord>;
  readonly keys: Collection<SigningKeyRecord>;
  readonly sent: Collection<SentRecord>;
  readonly pendingDeletes: Collection<PendingDeleteRecord>;

  constructor(store: Store) {
    this.streams = store.models.EventStream.collection as unknown as Collection<StreamRecord>;
    this.queue = store.models.EventQueue.collection as unknown as Collection<QueueRecord>;
    this.keys = store.models.EventKey.collection as unknown as Collection<SigningKeyRecord>;
    this.sent = store.models.EventSent.collection as unknown as Collection<SentRecord>;
    this.pendingDeletes = store.models.EventPendingDelete.collection as unknown as Collection<PendingDeleteRecord>;
  }

  // ---- streams ----

  async insertStream(stream: StreamRecord): Promise<void> {
    await this.streams.insertOne(stream);
  }

  /** By `_id` alone (the filter every engine serves from its index), checked for the organization here. */
  async findStream(orgId: string, id: string): Promise<StreamRecord | null> {
    const s = await this.streams.findOne({ _id: id } as Filter<StreamRecord>);
    return s && s.orgId === orgId ? s : null;
  }

  async listStreams(orgId: string): Promise<StreamRecord[]> {
    return this.streams.find({ orgId } as Filter<StreamRecord>).sort({ created: 1, _id: 1 }).limit(1000).toArray();
  }

  /** Streams of every organization that deliver by push and are enabled (the worker's round). */
  async pushStreams(): Promise<StreamRecord[]> {
    return this.streams.find({ method: 'urn:ietf:rfc:8935', status: 'enabled' } as Filter<StreamRecord>).toArray();
  }

  async updateStream(orgId: string, id: string, set: Partial<StreamRecord>, unset: string[] = []): Promise<StreamRecord | null> {
    const update: Record<string, unknown> = { $set: set };
    if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    await this.streams.updateOne({ _id: id, orgId } as Filter<StreamRecord>, update);
    return this.findStream(orgId, id);
  }

  async countStream(id: string, field: 'delivered' | 'retried' | 'failed', n = 1): Promise<void> {
    await this.streams.updateOne({ _id: id } as Filter<StreamRecord>, { $inc: { [field]: n } });
  }

  async deleteStream(orgId: string, id: string): Promise<boolean> {
    const r = await this.streams.deleteOne({ _id: id, orgId } as Filter<StreamRecord>);
    if (r.deletedCount === 1) {
      await this.queue.deleteMany({ streamId: id } as Filter<QueueRecord>);
      await this.sent.deleteMany({ streamId: id } as Filter<SentRecord>);
    }
    return r.deletedCount === 1;
  }

  // ---- queue ----

  /**
   * Inserts SETs; one already queued or already sent (a relay that ran twice, or an event a
   * concurrent write carried back into its document) is left out, so no SET is sent twice.
   */
  async enqueue(items: QueueRecord[], fresh: ReadonlySet<string> = new Set()): Promise<void> {
    if (items.length === 0) return;
    const sent = new Set<string>();
    const check = items.map((x) => x._id).filter((id) => !fresh.has(id));
    for (let i = 0; i < check.length; i += 500) {
      const ids = check.slice(i, i + 500);
      const rows = ids.length === 1
        ? await this.sent.find({ _id: ids[0] } as Filter<SentRecord>, { projection: { _id: 1 } }).toArray()
        : await this.sent.find({ _id: { $in: ids } } as Filter<SentRecord>, { projection: { _id: 1 } }).toArray();
      for (const r of rows) sent.add(r._id);
    }
    const todo = items.filter((x) => !sent.has(x._id));
    if (todo.length === 0) return;
    try {
      // One write for the batch; an item already queued (a relay that ran twice) is a duplicate key.
      await this.queue.insertMany(todo, { ordered: false });
    } catch (err) {
      if (!allDuplicates(err)) throw err;
    }
  }

  async pendingOf(streamId: string, limit: number): Promise<QueueRecord[]> {
    return this.queue.find({ streamId } as Filter<QueueRecord>).sort({ seq: 1, _id: 1 }).limit(limit).toArray();
  }

  async backlog(streamId: string): Promise<number> {
    return this.queue.countDocuments({ streamId } as Filter<QueueRecord>);
  }

  async markQueue(id: string, set: Partial<QueueRecord>): Promise<void> {
    await this.queue.updateOne({ _id: id } as Filter<QueueRecord>, { $set: set });
  }

  /**
   * Moves SETs out of the queue, in two writes for the batch: recorded as sent first, so a crash in
   * between never sends one twice (a crash before it sends them again, with the same jti).
   */
  async settle(done: { item: Pick<QueueRecord, '_id' | 'orgId' | 'streamId' | 'kid'>; state: SentRecord['state']; at: Date; error?: string | undefined }[]): Promise<void> {
    if (done.length === 0) return;
    const records = done.map(({ item, state, at, error }) => {
      const r: SentRecord = { _id: item._id, orgId: item.orgId, streamId: item.streamId, kid: item.kid, state, at };
      if (error !== undefined) r.error = error;
      return r;
    });
    try {
      await this.sent.insertMany(records, { ordered: false });
    } catch (err) {
      if (!allDuplicates(err)) throw err;
    }
    const ids = records.map((r) => r._id);
    await this.queue.deleteMany((ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } }) as Filter<QueueRecord>);
  }

  async sentCount(streamId: string, state: SentRecord['state']): Promise<number> {
    return this.sent.countDocuments({ streamId, state } as Filter<SentRecord>);
  }

  /** Acknowledged jtis of a polled stream: only this stream's queued ones count. Returns how many. */
  async ack(streamId: string, jtis: string[], at: Date, state: SentRecord['state'] = 'delivered', errors: Record<string, string> = {}): Promise<number> {
    const done = [];
    for (const jti of jtis) {
      const item = await this.queue.findOne({ _id: jti } as Filter<QueueRecord>, { projection: { set: 0 } });
      if (!item || item.streamId !== streamId) continue;
      done.push({ item, state, at, error: errors[jti] });
    }
    await this.settle(done);
    return done.length;
  }

  /**
   * Kids that SETs were signed with and are still queued or recorded as sent: a retired key stays
   * published while any is left, so a receiver that verifies a little later still finds it.
   */
  async referencedKids(orgId: string): Promise<Set<string>> {
    const queued = await this.queue.distinct('kid', { orgId } as Filter<QueueRecord>);
    const sent = await this.sent.distinct('kid', { orgId } as Filter<SentRecord>);
    return new Set([...(queued as string[]), ...(sent as string[])]);
  }

  async sweepSent(before: Date): Promise<void> {
    await this.sent.deleteMany({ at: { $lt: before } } as Filter<SentRecord>);
  }

  // ---- keys ----

  async activeKey(orgId: string): Promise<SigningKeyRecord | null> {
    return this.keys.findOne({ orgId, state: 'active' } as Filter<SigningKeyRecord>);
  }

  async insertKey(key: SigningKeyRecord): Promise<void> {
    await this.keys.insertOne(key);
  }

  async retireKeys(orgId: string, exceptId: string, at: Date): Promise<void> {
    await this.keys.updateMany({ orgId, state: 'active', _id: { $ne: exceptId } } as Filter<SigningKeyRecord>, { $set: { state: 'retired', retiredAt: at } });
  }

  async allKeys(): Promise<SigningKeyRecord[]> {
    return this.keys.find({}, { projection: { privateKeyEnc: 0 } }).limit(10000).toArray();
  }

  async keysOf(orgId: string): Promise<SigningKeyRecord[]> {
    return this.keys.find({ orgId } as Filter<SigningKeyRecord>).toArray();
  }

  async deleteKey(id: string): Promise<void> {
    await this.keys.deleteOne({ _id: id, state: 'retired' } as Filter<SigningKeyRecord>);
  }

  // ---- pending deletes ----

  async insertPendingDelete(p: PendingDeleteRecord): Promise<void> {
    await this.pendingDeletes.insertOne(p);
  }

  async removePendingDelete(id: string): Promise<void> {
    await this.pendingDeletes.deleteOne({ _id: id } as Filter<PendingDeleteRecord>);
  }

  async pendingDeletesBefore(before: Date, limit: number): Promise<PendingDeleteRecord[]> {
    return this.pendingDeletes.find({ created: { $lte: before } } as Filter<PendingDeleteRecord>).limit(limit).toArray();
  }
}

/** An insertMany whose only failures are duplicate keys (items that were there already). */
function allDuplicates(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] | { code?: number }; name?: string };
  if (e?.code === 11000 && !e.writeErrors) return true;
  const list = Array.isArray(e?.writeErrors) ? e.writeErrors : e?.writeErrors ? [e.writeErrors] : [];
  return list.length > 0 && list.every((w) => w.code === 11000);
}
