import { z } from 'zod';

/**
 * An integer query parameter. z.coerce.number() reads an empty value (`?offset=`) as 0; here it is
 * refused like any other value that is not an integer, as the document's `type: integer` says.
 */
export function queryInteger<T extends z.ZodType>(schema: (n: z.ZodNumber) => T) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : v), schema(z.coerce.number()));
}
