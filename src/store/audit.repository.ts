import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';

/** Every audited action; openapi/openapi.json lists the same (a test holds them equal). */
export const AUDIT_ACTIONS = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.restored',
  'user.purged',
  'user.permanently_deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'group.role_bound',
  'group.role_unbound',
  'seats.recounted',
  'invitation.sent',
  'invitation.resent',
  'invitation.cancelled',
  'invitation.accepted',
  'organization.updated',
  'token.created',
  'token.revoked',
  'token.rotated',
  'session.created',
  'session.ended',
  'signin.failed',
  'signin.locked',
  'password_reset.requested',
  'password_reset.completed',
  'import.started',
  'import.resumed',
  'import.completed',
  'import.failed',
  'schema_extension.created',
  'schema_extension.updated',
  'event_stream.created',
  'event_stream.updated',
  'event_stream.deleted',
  'event_key.rotated',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditChange {
  path: string;
  old: unknown;
  new: unknown;
}

export interface AuditRecord {
  _id: string;
  orgId: string;
  at: Date;
  actor: { type: string; id: string; name: string };
  action: AuditAction;
  target: { type: string; id: string; userName?: string };
  changes: AuditChange[];
  requestId: string;
}

export interface AuditQuery {
  userId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  skip: number;
  limit: number;
}

/** Append-only: there is no update or delete, so purging a user never removes its trail. */
export class AuditRepository {
  private readonly entries: Collection<AuditRecord>;

  constructor(store: Store) {
    this.entries = store.models.Audit.collection as unknown as Collection<AuditRecord>;
  }

  /** Inserts an entry; inserting the same `_id` again (a retry) is a no-op. */
  async insert(entry: AuditRecord): Promise<void> {
    try {
      await this.entries.insertOne(entry);
    } catch (err) {
      if (!asDuplicateKey(err)) throw err;
    }
  }

  /** Many entries in one command (bulk import batches); an entry already stored (same id, a retry) is skipped. */
  async insertMany(entries: AuditRecord[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.entries.insertMany(entries, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { code?: number; errmsg?: string }[] | { code?: number; errmsg?: string } }).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (list.length === 0 || list.some((e) => !asDuplicateKey({ code: e.code, message: e.errmsg ?? '' }))) throw err;
    }
  }

  async find(orgId: string, query: AuditQuery): Promise<{ total: number; items: AuditRecord[] }> {
    const filter: Record<string, unknown> = { orgId };
    if (query.userId !== undefined) filter['target.id'] = query.userId;
    if (query.actorId !== undefined) filter['actor.id'] = query.actorId;
    if (query.action !== undefined) filter.action = query.action;
    if (query.since !== undefined || query.until !== undefined) {
      filter.at = {
        ...(query.since !== undefined ? { $gte: query.since } : {}),
        ...(query.until !== undefined ? { $lte: query.until } : {}),
      };
    }
    const f = filter as Filter<AuditRecord>;
    const [total, items] = await Promise.all([
      this.entries.countDocuments(f),
      this.entries.find(f).sort({ at: -1, _id: -1 }).skip(query.skip).limit(query.limit).toArray(),
    ]);
    return { total, items };
  }
}
