/** Store-level failures the domain turns into protocol errors. */

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
  constructor(readonly index: string) {
    super(`duplicate key on ${index}`);
  }
}

interface MongoLikeError {
  code?: number;
  message?: string;
  keyPattern?: Record<string, unknown>;
  errmsg?: string;
}

/**
 * A unique-index clash → DuplicateKeyError naming the index. MongoDB (and FerretDB on insert) answers
 * E11000; FerretDB 1.x on SQLite answers an update's clash with code 1 and SQLite's own message
 * "UNIQUE constraint failed: index '<table>_<index>'", and on PostgreSQL with code 1 and
 * PostgreSQL's "duplicate key value violates unique constraint "<table>_<index>_<hash>_idx"
 * (SQLSTATE 23505)"; neither must become a 500.
 */
export function asDuplicateKey(err: unknown): DuplicateKeyError | undefined {
  const e = err as MongoLikeError;
  if (!e) return undefined;
  const message = e.message ?? e.errmsg ?? '';
  const sqlite = /UNIQUE constraint failed: index '([^']+)'/.exec(message);
  if (sqlite?.[1]) return new DuplicateKeyError(sqlite[1]);
  const postgres = /violates unique constraint \\?"([^"\\]+)\\?"/.exec(message);
  if (postgres?.[1] && message.includes('23505')) return new DuplicateKeyError(postgres[1]);
  if (e.code !== 11000) return undefined;
  const named = /index: (\S+)/.exec(message)?.[1];
  if (named) return new DuplicateKeyError(named);
  if (e.keyPattern) return new DuplicateKeyError(Object.keys(e.keyPattern).join('_'));
  return new DuplicateKeyError('unknown');
}
