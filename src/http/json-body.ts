/**
 * A request body string or member name holding U+0000. RFC 8259 7 lets JSON carry it, but no
 * stored value may: PostgreSQL (under FerretDB, the embedded engine) cannot keep it in a document,
 * and names or filters that differ by an invisible NUL are never what a client means.
 */
export class NulCharacterError extends Error {
  constructor() {
    super('the request body holds a NUL character (U+0000), which no attribute may contain');
    this.name = 'NulCharacterError';
  }
}

/**
 * JSON.parse reviver for every request body: refuses U+0000 (NulCharacterError). body-parser
 * strips the error's own fields and passes it on as `entity.parse.failed`; the error handler
 * answers 400 invalidValue (SCIM error or problem JSON, by route).
 */
export function refuseNulCharacters(key: string, value: unknown): unknown {
  if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) throw new NulCharacterError();
  return value;
}
