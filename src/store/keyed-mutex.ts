/**
 * Serializes async work per key inside this process.
 *
 * Why: FerretDB 1.x executes a conditional update (`replaceOne({_id, version: n})`)
 * as a read followed by `UPDATE ... WHERE _id = ?`, so two such updates can both
 * "match" version n and the second silently overwrites the first. MongoDB,
 * DocumentDB, Cosmos DB and FerretDB 2.x apply the condition atomically, which
 * is what keeps several Roster processes correct. Serializing the conditional
 * write per document makes the single process that owns an embedded FerretDB
 * correct too, and costs nothing measurable on MongoDB.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // Forget the key once nobody queued behind us, so the map does not grow.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /**
   * Runs `work` holding every key, taken one by one in sorted order (single-key holders never wait
   * for a second key, so this cannot deadlock). For a batch update of several documents.
   */
  async runAll<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const step = (i: number): Promise<T> => (i === sorted.length ? work() : this.run(sorted[i]!, () => step(i + 1)));
    return step(0);
  }
}
