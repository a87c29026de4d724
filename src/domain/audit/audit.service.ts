import type { Logger } from 'pino';
import type { Repositories } from '../../store/repositories.js';
import { type AuditRepository, type AuditAction, type AuditChange, type AuditQuery, type AuditRecord } from '../../store/audit.repository.js';
import type { Actor, RequestContext } from '../context.js';
import { newId } from '../../ids.js';

export interface AuditEvent {
  orgId: string;
  at: Date;
  actor: Actor;
  action: AuditAction;
  target: AuditRecord['target'];
  changes: AuditChange[];
  requestId: string;
}

export interface AuditEntryView {
  id: string;
  at: string;
  actor: AuditRecord['actor'];
  action: AuditAction;
  target: AuditRecord['target'];
  changes: AuditChange[];
  requestId: string;
}

/** How often an audit insert is tried before the entry goes to the error log instead. */
const AUDIT_ATTEMPTS = 3;

export function toAuditView(entry: AuditRecord): AuditEntryView {
  return {
    id: entry._id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    changes: entry.changes,
    requestId: entry.requestId,
  };
}

/**
 * The audit trail (docs/behaviour.md "Audit"). An entry is written after the change
 * it describes has committed: an entry for a change that then failed would be
 * a lie. Without transactions the two writes can be split by a failure; then
 * the change stands and the request still succeeds (failing it would make the
 * identity provider retry a change that is already made), the insert is
 * retried with the same id (idempotent), and as a last resort the whole entry
 * is logged at error level under "audit entry not stored" so it can be
 * replayed from the log.
 */
export class AuditService {
  readonly repo: AuditRepository;

  constructor(
    repos: Repositories,
    private readonly logger: Logger,
  ) {
    this.repo = repos.audit;
  }

  /** One entry about `target` by the request's actor, under its request id. */
  async recordFor(
    ctx: Pick<RequestContext, 'orgId' | 'actor' | 'requestId'>,
    at: Date,
    action: AuditAction,
    target: AuditRecord['target'],
    changes: AuditChange[],
  ): Promise<void> {
    await this.record({ orgId: ctx.orgId, at, actor: ctx.actor, action, target, changes, requestId: ctx.requestId });
  }

  /** Many entries in one write (bulk import batches), under the same retry and last resort as `record`. */
  async recordMany(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const entries = events.map((event) => this.entryOf(event));
    let lastError: unknown;
    for (let attempt = 0; attempt < AUDIT_ATTEMPTS; attempt++) {
      try {
        await this.repo.insertMany(entries);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    for (const entry of entries) this.logger.error({ err: lastError, audit: entry }, 'audit entry not stored');
  }

  private entryOf(event: AuditEvent): AuditRecord {
    return {
      _id: newId(),
      orgId: event.orgId,
      at: event.at,
      actor: { type: event.actor.type, id: event.actor.id, name: event.actor.name },
      action: event.action,
      target: event.target,
      changes: event.changes,
      requestId: event.requestId,
    };
  }

  async record(event: AuditEvent): Promise<void> {
    const entry = this.entryOf(event);
    let lastError: unknown;
    for (let attempt = 0; attempt < AUDIT_ATTEMPTS; attempt++) {
      try {
        await this.repo.insert(entry);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    this.logger.error({ err: lastError, audit: entry }, 'audit entry not stored');
  }

  async query(orgId: string, query: AuditQuery): Promise<{ total: number; items: AuditEntryView[] }> {
    const page = await this.repo.find(orgId, query);
    return { total: page.total, items: page.items.map(toAuditView) };
  }
}
