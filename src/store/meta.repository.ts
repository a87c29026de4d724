import type { Collection } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';

interface MetaRecord {
  _id: string;
  value: unknown;
  created: Date;
}

/** Deployment-wide markers (e.g. "bootstrap done"), claimed once through the unique _id. */
export class MetaRepository {
  private readonly meta: Collection<MetaRecord>;

  constructor(store: Store) {
    this.meta = store.models.Meta.collection as unknown as Collection<MetaRecord>;
  }

  /** True for exactly one caller, even across processes started at once. */
  async claim(key: string, value: unknown, now: Date): Promise<boolean> {
    try {
      await this.meta.insertOne({ _id: key, value, created: now });
      return true;
    } catch (err) {
      if (asDuplicateKey(err)) return false;
      throw err;
    }
  }

  async get(key: string): Promise<unknown> {
    return (await this.meta.findOne({ _id: key }))?.value;
  }
}
