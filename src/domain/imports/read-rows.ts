import { csvRows } from './csv-rows.js';
import { jsonRows } from './json-rows.js';
import { ImportFileError, type ImportFormat, type RowSource } from './rows.js';
import { xlsxRows } from './xlsx-rows.js';

export function readRows(format: ImportFormat, chunks: AsyncIterable<Buffer>): RowSource {
  switch (format) {
    case 'csv':
      return csvRows(chunks);
    case 'xlsx':
      return xlsxRows(chunks);
    case 'json':
      return jsonRows(chunks);
  }
}

/** A buffer as the parsers read a stored file: in pieces, so no parser step sees more than one. */
export async function* pieces(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(at + size, data.length));
}

export interface FileSummary {
  /** data rows (blank rows are not counted) */
  rows: number;
}

/**
 * Reads a whole uploaded file once, before the job is created, so that a file that does not parse,
 * or has no email column, is a 400 at upload rather than a job that fails later. Counts the rows
 * (the job's `total`) without keeping any.
 */
export async function inspectFile(format: ImportFormat, data: Buffer): Promise<FileSummary> {
  if (data.length === 0) throw new ImportFileError('file: the request body is empty');
  let rows = 0;
  let sawEmail = false;
  for await (const row of readRows(format, pieces(data))) {
    rows += 1;
    if (row.values.email !== undefined) sawEmail = true;
  }
  // CSV and XLSX headers are checked by the parsers; a JSON array has no header to check.
  if (format === 'json' && rows > 0 && !sawEmail) {
    throw new ImportFileError('file: no object in the JSON array has an "email" field', 'invalidValue');
  }
  if (rows === 0) throw new ImportFileError('file: there are no rows to import (only a header, or nothing)', 'invalidValue');
  return { rows };
}
