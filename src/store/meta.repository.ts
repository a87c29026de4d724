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

  /** Whether the marker was claimed. */
  async has(key: string): Promise<boolean> {
    return (await this.meta.findOne({ _id: key })) !== null;
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

  /** The marker's value, or undefined when it was never claimed or put. */
  async get<T>(key: string): Promise<T | undefined> {
    const found = await this.meta.findOne({ _id: key });
    return found ? (found.value as T) : undefined;
  }

  /** Writes the marker whoever holds it (last writer wins). */
  async put(key: string, value: unknown, now: Date): Promise<void> {
    await this.meta.replaceOne({ _id: key }, { value, created: now }, { upsert: true });
  }

  /** Gives a claim back (the work it guarded failed), so a later caller can claim it. */
  async release(key: string): Promise<void> {
    await this.meta.deleteOne({ _id: key });
  }
}
