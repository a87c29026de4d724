import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';

export interface OutboxRecord {
  _id: string;
  orgId: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  link?: string;
  created: Date;
}

/** Messages kept when no SMTP server is configured; always scoped by organization. */
export class OutboxRepository {
  private readonly outbox: Collection<OutboxRecord>;

  constructor(store: Store) {
    this.outbox = store.models.Outbox.collection as unknown as Collection<OutboxRecord>;
  }

  async insert(message: OutboxRecord): Promise<void> {
    await this.outbox.insertOne(message);
  }

  async insertMany(messages: OutboxRecord[]): Promise<void> {
    if (messages.length > 0) await this.outbox.insertMany(messages);
  }

  /** Newest first. */
  async list(orgId: string, skip: number, limit: number): Promise<{ total: number; items: OutboxRecord[] }> {
    const filter = { orgId } as Filter<OutboxRecord>;
    const [total, items] = await Promise.all([
      this.outbox.countDocuments(filter),
      this.outbox.find(filter).sort({ created: -1, _id: -1 }).skip(skip).limit(limit).toArray(),
    ]);
    return { total, items };
  }
}
