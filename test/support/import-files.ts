/** Files for the bulk import tests: XLSX workbooks written by exceljs, as Excel would save them. */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * A workbook whose sheets hold these rows (the first sheet's first row is the header). With shared
 * strings, the streaming writer stores the string table after the sheets, as Excel does.
 */
export async function xlsxFile(sheets: { name: string; rows: unknown[][] }[], options: { sharedStrings?: boolean } = {}): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: options.sharedStrings ?? true });
  for (const sheet of sheets) {
    const ws = workbook.addWorksheet(sheet.name);
    for (const row of sheet.rows) ws.addRow(row).commit();
    ws.commit();
  }
  await workbook.commit();
  await ended;
  return Buffer.concat(parts);
}

/** CSV text from rows (quoted only where needed). */
export function csvFile(rows: string[][], eol = '\r\n'): string {
  const cell = (v: string) => (/[",\r\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(cell).join(',')).join(eol) + eol;
}
