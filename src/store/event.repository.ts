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
  state: 'pending' | 'delivered' | 'rejected';
  attempts: number;
  nextAttemptAt: Date;
  firstAttemptAt?: Date;
  deliveredAt?: Date;
  lastError?: string;
  created: Date;
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
  readonly pendingDeletes: Collection<PendingDeleteRecord>;

  constructor(store: Store) {
    this.streams = store.models.EventStream.collection as unknown as Collection<StreamRecord>;
    this.queue = store.models.EventQueue.collection as unknown as Collection<QueueRecord>;
    this.keys = store.models.EventKey.collection as unknown as Collection<SigningKeyRecord>;
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
    if (r.deletedCount === 1) await this.queue.deleteMany({ streamId: id } as Filter<QueueRecord>);
    return r.deletedCount === 1;
  }

  // ---- queue ----

  /** Inserts SETs; one already there (a relay that ran twice) is left as it is. */
  async enqueue(items: QueueRecord[]): Promise<void> {
    for (const item of items) {
      try {
        await this.queue.insertOne(item);
      } catch (err) {
        if (!asDuplicateKey(err)) throw err;
      }
    }
  }

  async pendingOf(streamId: string, limit: number): Promise<QueueRecord[]> {
    return this.queue
      .find({ streamId, state: 'pending' } as Filter<QueueRecord>)
      .sort({ seq: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  async backlog(streamId: string): Promise<number> {
    return this.queue.countDocuments({ streamId, state: 'pending' } as Filter<QueueRecord>);
  }

  async markQueue(id: string, set: Partial<QueueRecord>): Promise<void> {
    await this.queue.updateOne({ _id: id } as Filter<QueueRecord>, { $set: set });
  }

  /** Acknowledged jtis of a polled stream: only this stream's, and only pending ones, count. */
  async ack(streamId: string, jtis: string[], at: Date): Promise<number> {
    if (jtis.length === 0) return 0;
    const r = await this.queue.updateMany(
      { _id: { $in: jtis }, streamId, state: 'pending' } as Filter<QueueRecord>,
      { $set: { state: 'delivered', deliveredAt: at } },
    );
    return r.modifiedCount;
  }

  async reject(streamId: string, jti: string, error: string): Promise<void> {
    await this.queue.updateOne({ _id: jti, streamId, state: 'pending' } as Filter<QueueRecord>, { $set: { state: 'rejected', lastError: error } });
  }

  /**
   * Kids that queued SETs were signed with: pending ones, and delivered ones still kept (so a
   * receiver that verifies a little later still finds the key). A retired key stays published
   * while any is left.
   */
  async referencedKids(orgId: string): Promise<Set<string>> {
    const kids = await this.queue.distinct('kid', { orgId } as Filter<QueueRecord>);
    return new Set(kids as string[]);
  }

  async sweepDelivered(before: Date): Promise<void> {
    await this.queue.deleteMany({ state: { $in: ['delivered', 'rejected'] }, created: { $lt: before } } as Filter<QueueRecord>);
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
