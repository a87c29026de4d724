import { StringDecoder } from 'node:string_decoder';
import { IMPORT_COLUMNS, ImportFileError, isExtensionColumn, tagSourceErrors, type ImportColumn, type RowSource, type RowValues } from './rows.js';

/** One array element larger than this is not an invitation row; the file is refused rather than buffered. */
const MAX_ELEMENT_CHARS = 64 * 1024;

/**
 * The elements of a top-level JSON array, streamed: a small scanner finds where each element ends
 * (tracking strings, escapes and nesting) and JSON.parse reads that element alone, so memory holds
 * one element, never the array. Everything outside the elements is checked too (the opening "[",
 * the commas, the closing "]", nothing after it), so a file that is not one JSON array is refused.
 */
export async function* jsonElements(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ index: number; value: unknown }> {
  const decoder = new StringDecoder('utf8');
  // start → "[" → element-or-end → (an element: in-element, until "," → element, or "]" → end)
  type State = 'start' | 'element-or-end' | 'element' | 'in-element' | 'end';
  const at = { state: 'start' as State };
  let offset = 0; // characters consumed before the current chunk, for error messages
  let index = 0;
  let element = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let bom = true;

  const where = (i: number) => `at character ${offset + i + 1}`;
  const finish = (text: string): unknown => {
    index += 1;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ImportFileError(`file: element ${index} of the JSON array is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  for await (const chunk of tagSourceErrors(chunks)) {
    let text = decoder.write(chunk);
    if (bom) {
      text = text.replace(/^\uFEFF/, '');
      if (text.length > 0) bom = false;
    }
    let start = at.state === 'in-element' ? 0 : -1; // where the current element's text begins in this chunk
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (at.state === 'in-element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
          continue;
        }
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth += 1;
        else if (c === '}' || c === ']') {
          if (depth > 0) depth -= 1;
          else {
            // The array's closing bracket right after a scalar element.
            const value = finish(element + text.slice(start, i));
            element = '';
            yield { index, value };
            at.state = 'end';
            continue;
          }
        } else if (c === ',' && depth === 0) {
          const value = finish(element + text.slice(start, i));
          element = '';
          yield { index, value };
          at.state = 'element';
          continue;
        }
        if (element.length + (i - start) > MAX_ELEMENT_CHARS) {
          throw new ImportFileError(`file: element ${index + 1} of the JSON array is larger than ${MAX_ELEMENT_CHARS} characters`);
        }
        continue;
      }
      if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
      if (at.state === 'start') {
        if (c !== '[') throw new ImportFileError(`file: a JSON import must be an array of objects; it starts with "${c}" ${where(i)}`);
        at.state = 'element-or-end';
      } else if (at.state === 'element-or-end' && c === ']') {
        at.state = 'end';
      } else if (at.state === 'element' || at.state === 'element-or-end') {
        if (c === ']' || c === ',') throw new ImportFileError(`file: expected an element after "," in the JSON array, found "${c}" ${where(i)}`);
        at.state = 'in-element';
        start = i;
        depth = 0;
        inString = false;
        escaped = false;
        i -= 1; // read this character again as the element's first
      } else {
        throw new ImportFileError(`file: unexpected "${c}" after the end of the JSON array ${where(i)}`);
      }
    }
    if (at.state === 'in-element') {
      // The element goes on in the next chunk.
      element += text.slice(start);
      if (element.length > MAX_ELEMENT_CHARS) {
        throw new ImportFileError(`file: element ${index + 1} of the JSON array is larger than ${MAX_ELEMENT_CHARS} characters`);
      }
    }
    offset += text.length;
  }
  if (at.state === 'start') throw new ImportFileError('file: the JSON file is empty');
  if (at.state !== 'end') throw new ImportFileError('file: the JSON array is not closed (the file ends before its "]")');
}

/**
 * JSON import rows: an array of objects whose keys are the columns (case-insensitive, trimmed).
 * Row numbers are the 1-based array index. JSON carries types, so the file's shape is checked like
 * its syntax, before any job exists (the `ImportRow` schema of openapi/openapi.json): an element
 * that is not an object, or a column whose value is an object or an array, makes the whole file a
 * 400 naming the element. A string, number, boolean or null is read as text; what the value means
 * (an email, a role) is a rule of the row, reported in the job while the other rows go on.
 */
export async function* jsonRows(chunks: AsyncIterable<Buffer>): RowSource {
  for await (const { index, value } of jsonElements(chunks)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ImportFileError(`file: element ${index} of the JSON array: expected an object with an "email" field, got ${describe(value)}`, 'invalidValue');
    }
    const notText = (key: string, raw: unknown): ImportFileError =>
      new ImportFileError(`file: element ${index} of the JSON array: "${key}" must be a string, number, boolean or null, not ${describe(raw)}`, 'invalidValue');
    const values: RowValues = {};
    let problem: string | undefined;
    for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
      const name = key.trim().toLowerCase();
      if (isExtensionColumn(key.trim())) {
        if (typeof raw === 'string' && raw.trim() !== '') values.extensions = { ...values.extensions, [key.trim()]: raw.trim() };
        else if (typeof raw === 'number' || typeof raw === 'boolean') values.extensions = { ...values.extensions, [key.trim()]: String(raw) };
        else if (raw !== null && raw !== undefined && raw !== '') throw notText(key.trim(), raw);
        continue;
      }
      if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) continue;
      const column = name as ImportColumn;
      if (values[column] !== undefined) {
        problem ??= `${column}: the object has this field twice (in different letter cases)`;
        continue;
      }
      if (raw === null || raw === undefined) values[column] = '';
      else if (typeof raw === 'string') values[column] = raw.trim();
      else if (typeof raw === 'number' || typeof raw === 'boolean') values[column] = String(raw);
      else throw notText(key.trim(), raw);
    }
    yield problem ? { row: index, values, problem } : { row: index, values };
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
