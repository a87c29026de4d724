import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Repositories } from '../../store/repositories.js';
import {
  type EventRepository,
  type ChangeEvent,
  type DeliveryMethod,
  type QueueRecord,
  type StreamRecord,
  type StreamStatus,
} from '../../store/event.repository.js';
import type { GroupRepository } from '../../store/group.repository.js';
import type { MetaRepository } from '../../store/meta.repository.js';
import type { UserRepository, EventCarrier } from '../../store/user.repository.js';
import type { Clock } from '../context.js';
import { eventsClaim, scimSubject, SSF_VERIFICATION } from './scim-events.js';
import { KeyWrapper, SigningKeys, signSet } from './signing-keys.js';

export const PUSH: DeliveryMethod = 'urn:ietf:rfc:8935';
export const POLL: DeliveryMethod = 'urn:ietf:rfc:8936';

/** How long the answer "this organization has streams" is trusted (wants()). */
const STREAM_CACHE_MS = 2000;
/** Event ids remembered as queued, so writes can leave them out of their documents. */
const RELAYED_IDS = 200_000;

/** A set that forgets its oldest members beyond `max`. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }
}

/** How many documents one recovery pass reads, and how many passes one sweep makes at most. */
const SWEEP_BATCH = 500;
const SWEEP_PASSES = 20;
/** A pending delete event older than this whose document still exists belongs to a delete that failed. */
const PENDING_DELETE_GRACE_MS = 60_000;
/** How often the worker looks for SETs another process queued. */
const IDLE_ROUND_MS = 5_000;
/**
 * How often it sweeps for events a crashed relay left in documents (and at start). The sweep reads
 * `pendingEvents.id` (an index on MongoDB), which FerretDB 1.x on SQLite answers by scanning, so it
 * is not run on every round.
 */
const RECOVERY_MS = 60_000;

export type EventsConfig = Config['events'];

export interface PollRequest {
  ack: string[];
  setErrs: Record<string, { err: string; description?: string }>;
  maxEvents?: number | undefined;
  returnImmediately: boolean;
}

export interface DeliveryOutcome {
  kind: 'delivered' | 'retry' | 'rejected';
  error?: string;
  retryAfterMs?: number;
}

/**
 * Lifecycle events: the relay (change events → signed SETs per stream), the push worker (RFC
 * 8935) and polling (RFC 8936). docs/events.md describes the whole.
 *
 * Never lost, never invented, without multi-document transactions: the event of a change is
 * written inside the changed document, in the same single-document write as the change
 * (`pendingEvents`). A write that fails writes no event; a write that succeeds carries its event,
 * whatever happens to the process next. The relay then copies the events into the stream queue
 * (`event_queue`, `_id` = the SET's jti, made deterministically from the stream and the event, so a
 * relay that runs twice inserts nothing twice, and a SET already sent is remembered in `event_sent`).
 * An event leaves its document only after it was queued: the document's next write leaves out the
 * events this process queued (isRelayed), and the recovery sweep (at start and every minute)
 * queues what documents still carry and removes it (\$pullAll of exactly those events, so one a
 * concurrent write added stays). A crash at any point leaves unqueued events in their documents. The one change that removes its document (a group's DELETE) cannot carry its event:
 * that event is written first to `event_pending_deletes` and confirmed by the document being gone
 * (dropped when the document still exists after a grace period: the delete failed).
 */
export class EventService {
  readonly repo: EventRepository;
  private readonly users: UserRepository;
  private readonly groups: GroupRepository;
  private readonly meta: MetaRepository;
  private keysPromise: Promise<SigningKeys> | undefined;
  private wrapperPromise: Promise<KeyWrapper> | undefined;
  private readonly dirty = new Map<string, { orgId: string; events: ChangeEvent[] }>();
  private readonly relayed = new RecentIds(RELAYED_IDS);
  private relaying: Promise<void> | undefined;
  private readonly streamCache = new Map<string, { at: number; streams: StreamRecord[] }>();
  private readonly signal = new EventEmitter();
  private lastSeq = 0;
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly inflight = new Set<AbortController>();
  /** The enabled push streams, re-read at most every IDLE_ROUND_MS or when a stream changes here. */
  private pushCache: { at: number; streams: StreamRecord[] } | undefined;

  /** Counts delivery outcomes for /metrics (src/metrics.ts) when the app has metrics. */
  observer: { eventDelivery(outcome: 'delivered' | 'retried' | 'failed', n: number): void } | undefined;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly config: EventsConfig,
    private readonly logger: Logger,
  ) {
    this.repo = repos.events;
    // The same repositories (and so the same per-document mutexes) as the services that write.
    this.users = repos.users;
    this.groups = repos.groups;
    this.meta = repos.meta;
    this.signal.setMaxListeners(0);
  }

  // ---- keys ----

  private wrapper(): Promise<KeyWrapper> {
    this.wrapperPromise ??= (async () => {
      if (this.config.key) return new KeyWrapper(Buffer.from(this.config.key, 'base64'));
      // No key-encryption key configured: one is made and kept in the database, so events work out
      // of the box; the keys are then only as safe as the database (docs/events.md "Keys").
      this.logger.warn('ROSTER_EVENTS_KEY is not set: event signing keys are encrypted with a key kept in the database');
      await this.meta.claim('events-kek', randomBytes(32).toString('base64'), this.clock.now());
      return new KeyWrapper(Buffer.from(String(await this.meta.get('events-kek')), 'base64'));
    })();
    return this.wrapperPromise;
  }

  async keys(): Promise<SigningKeys> {
    this.keysPromise ??= this.wrapper().then((w) => {
      const keys = new SigningKeys(this.repo, w, this.clock);
      keys.onUnreadableKey = (orgId, kid) =>
        this.logger.error({ orgId, kid }, 'an event signing key cannot be decrypted with ROSTER_EVENTS_KEY (was it changed?); a new key replaces it');
      return keys;
    });
    return this.keysPromise;
  }

  async wrap(secret: string): Promise<string> {
    return (await this.wrapper()).wrap(secret);
  }

  private async unwrap(secret: string): Promise<string> {
    return (await this.wrapper()).unwrap(secret);
  }

  // ---- relay ----

  /**
   * Whether a change in this organization needs an event: it has a stream that is not disabled, or
   * that is not known yet (then yes, and the answer is fetched for the next change). Known answers
   * are at most STREAM_CACHE_MS old, and a stream created in this process is known at once.
   */
  wants(orgId: string): boolean {
    const cached = this.streamCache.get(orgId);
    if (!cached || Date.now() - cached.at >= STREAM_CACHE_MS) void this.streamsOf(orgId).catch(() => undefined);
    return cached ? cached.streams.some((s) => s.status !== 'disabled') : true;
  }

  /** Events a write may leave out of its document: this process queued them (or found them sent). */
  isRelayed(eventId: string): boolean {
    return this.relayed.has(eventId);
  }

  /**
   * Called after every write that carries events, with the events the written document carries
   * (its own last): they are queued soon, outside the request. The document keeps them until its
   * next write leaves them out (isRelayed) or the recovery sweep removes them, so the hot path
   * costs one queue insert per stream and no second write to the document.
   */
  notify(type: 'User' | 'Group', id: string, orgId: string, events: ChangeEvent[]): void {
    const key = `${type}:${id}`;
    const entry = this.dirty.get(key);
    if (entry) {
      const have = new Set(entry.events.map((e) => e.id));
      entry.events.push(...events.filter((e) => !have.has(e.id)));
    } else this.dirty.set(key, { orgId, events: [...events] });
    // Batched: the changes of one window are queued in one write (ROSTER_EVENTS_BATCH_MS).
    if (!this.relaying) {
      this.relaying = new Promise<void>((resolve) => (this.config.batchMs > 0 ? setTimeout(resolve, this.config.batchMs) : setImmediate(resolve))).then(() =>
        this.relayDirty(),
      );
    }
  }

  private async relayDirty(): Promise<void> {
    try {
      while (this.dirty.size) {
        const batch = [...this.dirty.values()];
        this.dirty.clear();
        try {
          // The newest event of each was made by the write that told us: it cannot have been sent yet.
          const fresh = new Set(batch.map(({ events }) => events[events.length - 1]!.id));
          // In the order of the changes across documents (a stable sort keeps each document's own order).
          const flat = batch
            .flatMap(({ orgId, events }) => events.filter((e) => !this.relayed.has(e.id)).map((event) => ({ orgId, event })))
            .sort((a, b) => a.event.at.getTime() - b.event.at.getTime());
          await this.fanOut(flat.map(({ orgId, event }) => ({ orgId, events: [event] })), fresh);
        } catch (err) {
          // Still in their documents: the recovery sweep hands them on later.
          this.logger.error({ err }, 'relaying events failed');
        }
      }
    } finally {
      this.relaying = undefined;
      this.kick();
    }
  }

  /** Hands the events documents carry to the streams, then removes them from the documents. */
  private async relayCarriers(type: 'User' | 'Group', docs: EventCarrier[]): Promise<void> {
    await this.fanOut(docs.map((d) => ({ orgId: d.orgId, events: (d.pendingEvents ?? []).filter((e) => !this.relayed.has(e.id)) })), new Set());
    if (type === 'User') await this.users.clearEvents(docs);
    else await this.groups.clearEvents(docs);
  }

  async flush(type: 'User' | 'Group', id: string): Promise<void> {
    const doc = type === 'User' ? await this.users.pendingEventsOf(id) : await this.groups.pendingEventsOf(id);
    if (doc?.pendingEvents?.length) await this.relayCarriers(type, [doc]);
  }

  /** Records a delete event before the write that removes its document (see the class comment). */
  async beforeDelete(orgId: string, event: ChangeEvent): Promise<void> {
    await this.repo.insertPendingDelete({ _id: event.id, orgId, resourceType: event.resourceType, resourceId: event.resourceId, event, created: this.clock.now() });
  }

  /** After that write: `done` when the document is gone (the event is handed on), else dropped. */
  async afterDelete(orgId: string, event: ChangeEvent, done: boolean): Promise<void> {
    try {
      if (done) await this.fanOut([{ orgId, events: [event] }], new Set([event.id]));
      await this.repo.removePendingDelete(event.id);
      this.kick();
    } catch (err) {
      this.logger.error({ err, eventId: event.id }, 'relaying a delete event failed; the recovery sweep will');
    }
  }

  /** Documents and pending deletes a crash left behind (at start and every few seconds). */
  async recover(): Promise<number> {
    let n = 0;
    for (const type of ['User', 'Group'] as const) {
      // Each pass removes what it queued, so the next finds the documents after them.
      for (let pass = 0; pass < SWEEP_PASSES; pass++) {
        const docs = (type === 'User' ? await this.users.withPendingEvents(SWEEP_BATCH) : await this.groups.withPendingEvents(SWEEP_BATCH)).filter(
          (d) => d.pendingEvents?.length,
        );
        if (!docs.length) break;
        await this.relayCarriers(type, docs);
        n += docs.reduce((sum, d) => sum + d.pendingEvents!.length, 0);
        if (docs.length < SWEEP_BATCH) break;
      }
    }
    const cutoff = new Date(this.clock.now().getTime() - PENDING_DELETE_GRACE_MS);
    for (const p of await this.repo.pendingDeletesBefore(cutoff, SWEEP_BATCH)) {
      const exists = p.resourceType === 'Group' ? await this.groups.exists(p.resourceId) : (await this.users.pendingEventsOf(p.resourceId)) !== null;
      if (!exists) {
        await this.fanOut([{ orgId: p.orgId, events: [p.event] }], new Set());
        n += 1;
      }
      await this.repo.removePendingDelete(p._id);
    }
    return n;
  }

  private async streamsOf(orgId: string): Promise<StreamRecord[]> {
    const cached = this.streamCache.get(orgId);
    if (cached && Date.now() - cached.at < STREAM_CACHE_MS) return cached.streams;
    const streams = await this.repo.listStreams(orgId);
    this.streamCache.set(orgId, { at: Date.now(), streams });
    return streams;
  }

  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, Date.now() * 1000);
    return this.lastSeq;
  }

  /** The jti of an event on a stream: the same whenever the relay runs. */
  static jtiOf(streamId: string, eventId: string): string {
    return createHash('sha256').update(`${streamId}:${eventId}`).digest('hex').slice(0, 32);
  }

  /**
   * Signs one SET per stream that asked for each event, in the order given, and queues them all in
   * one write (`fresh`: events just made, which need no look-up among the SETs already sent). Then
   * they count as relayed.
   */
  private async fanOut(groups: { orgId: string; events: ChangeEvent[] }[], fresh: ReadonlySet<string>): Promise<void> {
    const items: QueueRecord[] = [];
    const relayed: string[] = [];
    for (const { orgId, events } of groups) {
      if (!events.length) continue;
      relayed.push(...events.map((e) => e.id));
      const streams = (await this.streamsOf(orgId)).filter((s) => s.status !== 'disabled');
      if (!streams.length) continue;
      const { kid, key } = await (await this.keys()).active(orgId);
      for (const event of events) {
        for (const stream of streams) {
          // A stream is owed the changes made after it was created, not the ones before.
          if (event.at.getTime() < stream.created.getTime()) continue;
          const claim = eventsClaim(event, new Set(stream.eventsDelivered));
          if (!claim) continue;
          const jti = EventService.jtiOf(stream._id, event.id);
          const claims = {
            iss: stream.iss,
            iat: Math.floor(this.clock.now().getTime() / 1000),
            jti,
            aud: stream.aud,
            txn: event.txn,
            sub_id: scimSubject(event),
            events: claim,
          };
          items.push(this.queueItem(orgId, stream._id, jti, event.id, kid, signSet(claims, kid, key)));
        }
      }
    }
    await this.repo.enqueue(items, new Set(items.filter((i) => fresh.has(i.eventId)).map((i) => i._id)));
    for (const id of relayed) this.relayed.add(id);
    for (const s of new Set(items.map((i) => i.streamId))) this.signal.emit(s);
  }

  private queueItem(orgId: string, streamId: string, jti: string, eventId: string, kid: string, set: string): QueueRecord {
    const now = this.clock.now();
    return { _id: jti, orgId, streamId, seq: this.nextSeq(), eventId, kid, set, state: 'pending', attempts: 0, nextAttemptAt: now, created: now };
  }

  /** The SSF verification event (section 8.1.4), queued like any other SET. */
  async verify(orgId: string, stream: StreamRecord, state?: string): Promise<string> {
    const { kid, key } = await (await this.keys()).active(orgId);
    const jti = randomUUID().replace(/-/g, '');
    const claims = {
      iss: stream.iss,
      iat: Math.floor(this.clock.now().getTime() / 1000),
      jti,
      aud: stream.aud,
      sub_id: { format: 'opaque', id: stream._id },
      events: { [SSF_VERIFICATION]: state !== undefined ? { state } : {} },
    };
    await this.repo.enqueue([this.queueItem(orgId, stream._id, jti, `verification:${jti}`, kid, signSet(claims, kid, key))], new Set([jti]));
    this.signal.emit(stream._id);
    this.kick();
    return jti;
  }

  streamChanged(orgId: string): void {
    this.streamCache.delete(orgId);
    this.pushCache = undefined;
    this.kick();
  }

  private async pushStreams(): Promise<StreamRecord[]> {
    if (this.pushCache && Date.now() - this.pushCache.at < IDLE_ROUND_MS) return this.pushCache.streams;
    const streams = await this.repo.pushStreams();
    this.pushCache = { at: Date.now(), streams };
    return streams;
  }

  // ---- push delivery (RFC 8935) ----

  /** Starts the background worker (main.ts): recovery sweep, then delivery rounds. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the worker; a push in flight is abandoned (its SET stays pending and is sent again). */
  async stop(): Promise<void> {
    this.running = false;
    for (const c of this.inflight) c.abort();
    this.wake?.();
    await this.loop;
    await this.relaying;
  }

  kick(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let lastRecovery = 0;
    while (this.running) {
      let waitMs = IDLE_ROUND_MS;
      try {
        if (Date.now() - lastRecovery >= RECOVERY_MS) {
          lastRecovery = Date.now();
          await this.recover();
          await this.repo.sweepSent(new Date(this.clock.now().getTime() - this.config.retentionDays * 86400_000));
        }
        const next = await this.deliverRound();
        if (next !== undefined) waitMs = Math.min(waitMs, Math.max(0, next - this.clock.now().getTime()));
      } catch (err) {
        this.logger.error({ err }, 'event delivery round failed');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        t.unref();
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
      // Woken by new SETs: let the window's other changes join, so a round settles them together.
      if (this.running && this.config.batchMs > 0) await new Promise((r) => setTimeout(r, this.config.batchMs).unref());
    }
  }

  /**
   * Delivers what is due on every enabled push stream; returns when the earliest retry is due
   * (undefined: nothing waits).
   */
  async deliverRound(orgId?: string): Promise<number | undefined> {
    let earliest: number | undefined;
    const streams = (await this.pushStreams()).filter((s) => orgId === undefined || s.orgId === orgId);
    await Promise.all(
      streams.map(async (stream) => {
        try {
          const next = await this.deliverStream(stream);
          if (next !== undefined) earliest = Math.min(earliest ?? next, next);
        } catch (err) {
          // One stream's trouble never stops the others.
          this.logger.error({ err, streamId: stream._id }, 'delivering a stream failed');
        }
      }),
    );
    return earliest;
  }

  /**
   * One stream, in order: the first pending SET must be delivered (or rejected by the receiver)
   * before the next is sent, so the events of one resource arrive in the order of its changes.
   */
  private async deliverStream(stream: StreamRecord): Promise<number | undefined> {
    if (stream.authorizationHeaderEnc) {
      try {
        await this.unwrap(stream.authorizationHeaderEnc);
      } catch {
        // ROSTER_EVENTS_KEY changed since the header was stored: sending without it would be refused.
        const now = this.clock.now();
        await this.repo.updateStream(stream.orgId, stream._id, {
          status: 'paused',
          statusReason: 'the stored authorization_header cannot be decrypted (was ROSTER_EVENTS_KEY changed?); set it again with PATCH /ssf/streams, then enable the stream',
          lastError: 'authorization_header unreadable',
          lastErrorAt: now,
        });
        this.streamChanged(stream.orgId);
        return undefined;
      }
    }
    // SETs delivered or rejected are moved out of the queue in one batch per page (at least once:
    // a crash before that sends them again, with the same jti).
    const done: Parameters<EventRepository['settle']>[0] = [];
    try {
      return await this.deliverStreamItems(stream, done);
    } finally {
      await this.repo.settle(done);
      const delivered = done.filter((d) => d.state === 'delivered').length;
      if (delivered) this.observer?.eventDelivery('delivered', delivered);
    }
  }

  /** A stream's own tally (shown by the side API) and the process's metrics, together. */
  private async count(streamId: string, outcome: 'retried' | 'failed', n = 1): Promise<void> {
    await this.repo.countStream(streamId, outcome, n);
    this.observer?.eventDelivery(outcome, n);
  }

  private async deliverStreamItems(stream: StreamRecord, done: Parameters<EventRepository['settle']>[0]): Promise<number | undefined> {
    for (;;) {
      if (!this.running && this.loop) return undefined;
      const items = (await this.repo.pendingOf(stream._id, 100 + done.length)).filter((i) => !done.some((d) => d.item._id === i._id));
      if (!items.length) return undefined;
      for (const item of items) {
        if (!this.running && this.loop) return undefined;
        const now = this.clock.now();
        if (item.nextAttemptAt.getTime() > now.getTime()) return item.nextAttemptAt.getTime();
        const outcome = await this.push(stream, item);
        if (outcome.kind === 'delivered') {
          done.push({ item, state: 'delivered', at: this.clock.now() });
          continue;
        }
        if (outcome.kind === 'rejected') {
          done.push({ item, state: 'rejected', at: this.clock.now(), error: outcome.error ?? 'rejected' });
          await this.count(stream._id, 'failed');
          await this.repo.updateStream(stream.orgId, stream._id, { lastError: `SET ${item._id} rejected: ${outcome.error}`, lastErrorAt: this.clock.now() });
          continue;
        }
        // Retry later: exponential backoff with jitter, or the receiver's Retry-After.
        const first = item.firstAttemptAt ?? now;
        const attempts = item.attempts + 1;
        if (now.getTime() - first.getTime() >= this.config.maxAgeMs) {
          await this.repo.markQueue(item._id, { attempts, firstAttemptAt: first, lastError: outcome.error ?? 'failed' });
          await this.count(stream._id, 'failed');
          await this.repo.updateStream(stream.orgId, stream._id, {
            status: 'paused',
            statusReason: `delivery failed for ${Math.round((now.getTime() - first.getTime()) / 1000)}s; events are kept until the stream is enabled again`,
            lastError: outcome.error ?? 'failed',
            lastErrorAt: now,
          });
          this.streamChanged(stream.orgId);
          return undefined;
        }
        const backoff = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** Math.min(attempts - 1, 30));
        const delay = outcome.retryAfterMs ?? Math.round(backoff / 2 + (Math.random() * backoff) / 2);
        const nextAttemptAt = new Date(now.getTime() + delay);
        await this.repo.markQueue(item._id, { attempts, firstAttemptAt: first, nextAttemptAt, lastError: outcome.error ?? 'failed' });
        await this.count(stream._id, 'retried');
        await this.repo.updateStream(stream.orgId, stream._id, { lastError: outcome.error ?? 'failed', lastErrorAt: now });
        return nextAttemptAt.getTime();
      }
      // A page done: settle it before reading the next.
      await this.repo.settle(done.splice(0));
    }
  }

  private async push(stream: StreamRecord, item: QueueRecord): Promise<DeliveryOutcome> {
    if (!stream.endpointUrl) return { kind: 'rejected', error: 'the stream has no endpoint_url' };
    const headers: Record<string, string> = { 'Content-Type': 'application/secevent+jwt', Accept: 'application/json' };
    if (stream.authorizationHeaderEnc) headers.Authorization = await this.unwrap(stream.authorizationHeaderEnc);
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.config.pushTimeoutMs);
    try {
      const res = await fetch(stream.endpointUrl, { method: 'POST', headers, body: item.set, signal: controller.signal, redirect: 'manual' });
      const text = await res.text().catch(() => '');
      if (res.status === 202 || res.status === 200 || res.status === 204) return { kind: 'delivered' };
      if (res.status === 429 || res.status >= 500) {
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'), this.clock.now());
        return { kind: 'retry', error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
      }
      // RFC 8935 2.3: 400 with {err, description} rejects this SET; anything else the receiver refuses too.
      return { kind: 'rejected', error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
    } catch (err) {
      return { kind: 'retry', error: `network error: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}` };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  /**
   * For tests and the benchmark: relays what is dirty and what a crash left, and delivers every
   * push SET that can be delivered now, waiting out (configured, small) backoffs, until nothing is
   * left to do or every stream with work is paused.
   */
  async drain(orgId?: string): Promise<void> {
    const wasRunning = this.running;
    this.running = true;
    try {
      for (;;) {
        if (this.relaying) await this.relaying;
        await this.recover();
        const next = await this.deliverRound(orgId);
        if (this.dirty.size || this.relaying) continue;
        if (next === undefined) return;
        await new Promise((r) => setTimeout(r, Math.max(0, next - this.clock.now().getTime())));
      }
    } finally {
      this.running = wasRunning;
    }
  }

  // ---- poll delivery (RFC 8936) ----

  async poll(stream: StreamRecord, req: PollRequest): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    const now = this.clock.now();
    const acknowledged = await this.repo.ack(stream._id, req.ack, now);
    if (acknowledged) this.observer?.eventDelivery('delivered', acknowledged);
    const errors = Object.fromEntries(Object.entries(req.setErrs).map(([jti, e]) => [jti, `${e.err}${e.description ? `: ${e.description}` : ''}`]));
    const rejected = await this.repo.ack(stream._id, Object.keys(errors), now, 'rejected', errors);
    if (rejected) await this.count(stream._id, 'failed', rejected);
    const max = Math.max(0, Math.min(req.maxEvents ?? 100, 1000));
    if (max === 0) return { sets: {}, moreAvailable: (await this.repo.backlog(stream._id)) > 0 };
    const read = async () => (stream.status === 'enabled' ? this.repo.pendingOf(stream._id, max + 1) : []);
    let items = await read();
    if (!items.length && !req.returnImmediately && this.config.pollWaitMs > 0) {
      // Long polling (RFC 8936 2.4): answer when a SET is queued for this stream, or after the wait.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.signal.off(stream._id, done);
          resolve();
        };
        const t = setTimeout(done, this.config.pollWaitMs);
        this.signal.on(stream._id, done);
      });
      items = await read();
    }
    const sets: Record<string, string> = {};
    for (const item of items.slice(0, max)) sets[item._id] = item.set;
    return { sets, moreAvailable: items.length > max };
  }

  // ---- streams ----

  async setStatus(orgId: string, id: string, status: StreamStatus, reason?: string): Promise<StreamRecord | null> {
    const set: Partial<StreamRecord> = { status, updated: this.clock.now() };
    if (reason !== undefined) set.statusReason = reason;
    const updated = await this.repo.updateStream(orgId, id, set, reason === undefined ? ['statusReason'] : []);
    // SSF 1.0 8.1.2: a disabled stream holds no events; a paused one keeps them.
    if (updated && status === 'disabled') await this.repo.queue.deleteMany({ streamId: id } as never);
    if (updated && status === 'enabled') {
      // Resumed: the SETs kept while it failed are tried again at once, their age counted afresh.
      await this.repo.queue.updateMany(
        { streamId: id } as never,
        { $set: { nextAttemptAt: this.clock.now() }, $unset: { firstAttemptAt: '' } } as never,
      );
    }
    this.streamChanged(orgId);
    return updated;
  }
}

/** Retry-After (RFC 9110 10.2.3): seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
