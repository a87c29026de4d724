import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import {
  columnLetter,
  ImportFileError,
  mapHeader,
  rowValues,
  SourceReadError,
  tagSourceErrors,
  type ImportColumn,
  type ExtensionColumn,
  type RowSource,
} from './rows.js';

/** "PK\x03\x04": every XLSX file is a ZIP archive; anything else is refused before the unzipper sees it. */
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** The text a spreadsheet shows for a cell value as exceljs reads it. */
export function cellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = value as { text?: unknown; richText?: { text?: unknown }[]; result?: unknown; error?: unknown };
    // Excel turns a typed address into a mailto hyperlink: {text, hyperlink}.
    if (typeof v.text === 'string') return v.text;
    if (Array.isArray(v.richText)) return v.richText.map((r) => (typeof r.text === 'string' ? r.text : '')).join('');
    if ('result' in v) return cellText(v.result);
  }
  return undefined;
}

interface StreamedRow {
  number: number;
  values: unknown;
}

/**
 * XLSX rows, streamed with exceljs's WorkbookReader: the first worksheet (in tab order), its first
 * non-empty row as the header, row numbers as Excel shows them. Styles and hyperlinks are not read.
 * Shared strings are cached, as the format requires (every text cell points into that table), so
 * memory grows with the distinct texts of the file, bounded by ROSTER_IMPORT_MAX_BYTES; worksheets
 * stored before that table are spooled to a temporary file by exceljs, never to memory.
 */
export async function* xlsxRows(chunks: AsyncIterable<Buffer>): RowSource {
  const source = tagSourceErrors(chunks);
  const first = await source.next();
  if (first.done) throw new ImportFileError('file: the XLSX file is empty');
  if (!first.value.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    throw new ImportFileError('file: not an XLSX workbook (an .xlsx file is a ZIP archive, and this one does not start like one)');
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value as Buffer;
    yield* source;
  }
  const input = Readable.from(all());
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  });
  // Errors of the byte source reach exceljs as stream errors; remember them to report them as such.
  let sourceError: SourceReadError | undefined;
  input.on('error', (err) => {
    if (err instanceof SourceReadError) sourceError = err;
  });

  let sheetFound = false;
  let header: Map<number, ImportColumn | ExtensionColumn> | undefined;
  try {
    for await (const sheet of reader) {
      // The first tab: workbook.xml names the sheets in tab order, and is read before the worksheets.
      const firstTab = (reader as unknown as { model?: { sheets?: { name?: string }[] } }).model?.sheets?.[0]?.name;
      if (sheetFound || (firstTab !== undefined && (sheet as unknown as { name?: string }).name !== firstTab)) {
        // Read to its end, never left half-way: exceljs closes and removes a worksheet's temporary
        // file only when the reader moves past it (breaking out of the loop leaked a descriptor and
        // a file per upload).
        for await (const _row of sheet as unknown as AsyncIterable<StreamedRow>) void _row;
        continue;
      }
      sheetFound = true;
      let previous = 0;
      for await (const r of sheet as unknown as AsyncIterable<StreamedRow>) {
        // A writer may leave out the row's r attribute: the row then follows the previous one.
        const number = Number.isInteger(r.number) && r.number > previous ? r.number : previous + 1;
        previous = number;
        const cells = Array.isArray(r.values) ? (r.values as unknown[]) : [];
        // exceljs row values are 1-based: cells[1] is column A.
        const text = (i: number) => cellText(cells[i + 1]);
        if (!header) {
          const names = Array.from({ length: Math.max(0, cells.length - 1) }, (_, i) => text(i) ?? '');
          if (names.every((c) => c.trim() === '')) continue;
          header = mapHeader(names, number, (i) => `column ${columnLetter(i)}`);
          continue;
        }
        const values = rowValues(text, header);
        if (values) yield { row: number, values };
      }
    }
  } catch (err) {
    if (err instanceof ImportFileError || err instanceof SourceReadError) throw err;
    if (sourceError) throw sourceError;
    throw new ImportFileError(`file: not a readable XLSX workbook: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    input.destroy();
  }
  if (sourceError) throw sourceError;
  if (!sheetFound) throw new ImportFileError('file: the workbook has no worksheet', 'invalidValue');
  if (!header) throw new ImportFileError('file: the first worksheet has no header row', 'invalidValue');
}
