/**
 * What every import parser yields (CSV, XLSX, JSON array): one row at a time, numbered as the admin
 * sees it in the file, so a parser never holds more than the row it is on.
 */

export const IMPORT_FORMATS = ['csv', 'xlsx', 'json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The columns an import reads; any other column is ignored (a spreadsheet often has more). */
export const IMPORT_COLUMNS = ['email', 'role', 'name', 'company'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/**
 * A column named by a custom extension attribute path, `<URN>:<attribute>` (README "Custom schema
 * extensions"): its cells go to that attribute like a core attribute's would.
 */
export type ExtensionColumn = `urn:${string}`;

/** Cell texts, trimmed; a blank cell is '' (so "the column is there but empty" stays visible). */
export type RowValues = Partial<Record<ImportColumn, string>> & {
  /** Non-blank cells of extension columns, by the header as written. */
  extensions?: Record<string, string>;
};

/** An extension column header: `urn:` (any case) followed by more. */
export function isExtensionColumn(name: string): name is ExtensionColumn {
  return /^urn:.+:.+/i.test(name);
}

export interface SourceRow {
  /** CSV and XLSX: the spreadsheet row number (the header is row 1); JSON: the 1-based array index. */
  row: number;
  values: RowValues;
  /** Why the row itself cannot be read (e.g. a JSON element that is not an object); the import goes on. */
  problem?: string;
}

export type RowSource = AsyncGenerator<SourceRow, void, undefined>;

/**
 * The file cannot be read as a whole (not a workbook, an unclosed quote, no email column). At upload
 * it is a 400 naming what is wrong; a job whose stored file turns out unreadable fails with it.
 */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
  constructor(
    message: string,
    /** invalidSyntax: the bytes do not parse; invalidValue: they parse but are not an invitation list. */
    readonly scimType: 'invalidSyntax' | 'invalidValue' = 'invalidSyntax',
  ) {
    super(message);
  }
}

/** A failure of the byte source (the database holding the file), never to be reported as a bad file. */
export class SourceReadError extends Error {
  override name = 'SourceReadError';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Wraps a byte source so that its own failures stay distinguishable from a parser's. */
export async function* tagSourceErrors(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await iterator.next();
    } catch (err) {
      throw new SourceReadError(err);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** "A", "B", ... "Z", "AA": how a spreadsheet names the column at a 0-based index. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let name = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    name = String.fromCharCode(65 + rem) + name;
    n = Math.floor((n - 1) / 26);
  }
  return name;
}

const MAX_LISTED_HEADERS = 8;

/**
 * Maps header cells to the known columns (case-insensitive, trimmed). Returns column index → name.
 * Throws ImportFileError when the email column is missing or a known column appears twice.
 */
export function mapHeader(cells: readonly string[], headerRow: number, describe: (index: number) => string): Map<number, ImportColumn | ExtensionColumn> {
  const map = new Map<number, ImportColumn | ExtensionColumn>();
  const seen = new Map<string, number>();
  cells.forEach((cell, index) => {
    const name = cell.trim().toLowerCase();
    const extension = isExtensionColumn(cell.trim());
    if (!extension && !(IMPORT_COLUMNS as readonly string[]).includes(name)) return;
    const column = extension ? (cell.trim() as ExtensionColumn) : (name as ImportColumn);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new ImportFileError(
        `file: the header (row ${headerRow}) has two "${column}" columns (${describe(first)} and ${describe(index)})`,
        'invalidValue',
      );
    }
    seen.set(name, index);
    map.set(index, column);
  });
  if (!seen.has('email')) {
    const found = cells.map((c) => c.trim()).filter((c) => c !== '');
    const listed = found.slice(0, MAX_LISTED_HEADERS).map((c) => `"${clip(c, 40)}"`).join(', ');
    const more = found.length > MAX_LISTED_HEADERS ? `, and ${found.length - MAX_LISTED_HEADERS} more` : '';
    throw new ImportFileError(
      `file: the header (row ${headerRow}) has no "email" column; it has ${found.length ? listed + more : 'no named columns'}` +
        ` (expected email, and optionally role, name, company)`,
      'invalidValue',
    );
  }
  return map;
}

/** The values of one data row under a header map; undefined when every mapped cell is blank. */
export function rowValues(cells: (index: number) => string | undefined, header: Map<number, ImportColumn | ExtensionColumn>): RowValues | undefined {
  const values: RowValues = {};
  let any = false;
  for (const [index, column] of header) {
    const text = (cells(index) ?? '').trim();
    if (isExtensionColumn(column)) {
      if (text !== '') values.extensions = { ...values.extensions, [column]: text };
    } else values[column] = text;
    if (text !== '') any = true;
  }
  return any ? values : undefined;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
