import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ImportFileError, mapHeader, rowValues, SourceReadError, tagSourceErrors, type ImportColumn, type ExtensionColumn, type RowSource } from './rows.js';

/** A field or record larger than this is not an invitation row: the file is refused rather than buffered. */
const MAX_RECORD_BYTES = 64 * 1024;

const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The delimiter of the header (the first non-blank line): Excel writes ";" where the decimal separator is a comma, and
 * tab-separated exports are common; a single-column file has none, which reads as ",".
 * (csv-parse's own delimiter_auto mis-detects a one-column file, so it is not used.)
 */
export function sniffDelimiter(firstChunk: string): string {
  const line = firstChunk.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? '';
  const unquoted = line.replace(/"[^"]*"/g, '');
  let best: string = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const count = unquoted.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/**
 * CSV rows, streamed through csv-parse (RFC 4180: quoted fields may hold delimiters and line breaks).
 * The first non-blank record is the header; row numbers count records as a spreadsheet shows them,
 * blank lines included, so "row 12" is row 12 when the admin opens the file in Excel.
 */
export async function* csvRows(chunks: AsyncIterable<Buffer>): RowSource {
  const source = tagSourceErrors(chunks);
  // Peek until the header line is complete (or 64 KiB), for the delimiter; then the parser gets every chunk.
  const head: Buffer[] = [];
  let headBytes = 0;
  for (;;) {
    const text = Buffer.concat(head).toString('utf8');
    if (headBytes >= 64 * 1024 || /\S[^\r\n]*[\r\n]/.test(text)) break;
    const next = await source.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  if (headBytes === 0) throw new ImportFileError('file: the CSV file is empty');
  const delimiter = sniffDelimiter(Buffer.concat(head).toString('utf8').replace(/\uFEFF/g, ''));
  async function* all(): AsyncGenerator<Buffer> {
    yield* head;
    yield* source;
  }
  const input = Readable.from(all());
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_BYTES,
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let record = 0;
  let header: Map<number, ImportColumn | ExtensionColumn> | undefined;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      record += 1;
      if (!header) {
        if (cells.every((c) => c.trim() === '')) continue;
        header = mapHeader(cells, record, (i) => `column ${i + 1}`);
        continue;
      }
      const values = rowValues((i) => cells[i], header);
      if (values) yield { row: record, values };
    }
  } catch (err) {
    if (err instanceof ImportFileError || err instanceof SourceReadError) throw err;
    throw new ImportFileError(`file: not a readable CSV file: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (!header) throw new ImportFileError('file: the CSV file has no header row', 'invalidValue');
}
