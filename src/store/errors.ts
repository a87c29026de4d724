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

/** E11000 from MongoDB or FerretDB → DuplicateKeyError naming the index (or the key when the server omits it). */
export function asDuplicateKey(err: unknown): DuplicateKeyError | undefined {
  const e = err as MongoLikeError;
  if (!e || e.code !== 11000) return undefined;
  const message = e.message ?? e.errmsg ?? '';
  const named = /index: (\S+)/.exec(message)?.[1];
  if (named) return new DuplicateKeyError(named);
  if (e.keyPattern) return new DuplicateKeyError(Object.keys(e.keyPattern).join('_'));
  return new DuplicateKeyError('unknown');
}
