import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { inspectFile, pieces, readRows } from '../../../src/domain/imports/read-rows.js';
import { columnLetter, ImportFileError, SourceReadError, type ImportFormat, type SourceRow } from '../../../src/domain/imports/rows.js';
import { sniffDelimiter } from '../../../src/domain/imports/csv-rows.js';
import { jsonElements } from '../../../src/domain/imports/json-rows.js';
import { cellText } from '../../../src/domain/imports/xlsx-rows.js';
import { xlsxFile } from '../../support/import-files.js';

async function rows(format: ImportFormat, data: string | Buffer, pieceSize = 64 * 1024): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const row of readRows(format, pieces(Buffer.from(data), pieceSize))) out.push(row);
  return out;
}

async function fileError(format: ImportFormat, data: string | Buffer): Promise<ImportFileError> {
  try {
    await inspectFile(format, Buffer.from(data));
  } catch (err) {
    if (err instanceof ImportFileError) return err;
    throw err;
  }
  throw new Error('expected an ImportFileError');
}

describe('import parsers', () => {
  describe('CSV', () => {
    it('maps header names case-insensitively and trimmed, ignores other columns, numbers rows as a spreadsheet does', async () => {
      const csv = '\uFEFF Email ,NAME,Department,role\r\nada@example.com, Ada ,R&D,admin\r\n\r\n"grace@example.com","Hopper, Grace",,\r\n';
      expect(await rows('csv', csv)).to.deep.equal([
        { row: 2, values: { email: 'ada@example.com', name: 'Ada', role: 'admin' } },
        { row: 4, values: { email: 'grace@example.com', name: 'Hopper, Grace', role: '' } },
      ]);
    });

    it('reads quoted line breaks and ";" or tab delimiters, across any piece boundary', async () => {
      const csv = 'email;name\na@example.com;"two\nlines"\nb@example.com;"x; y"\n';
      for (const size of [1, 3, 7, 1024]) {
        expect(await rows('csv', csv, size), `pieces of ${size}`).to.deep.equal([
          { row: 2, values: { email: 'a@example.com', name: 'two\nlines' } },
          { row: 3, values: { email: 'b@example.com', name: 'x; y' } },
        ]);
      }
      expect(await rows('csv', 'email\tname\na@example.com\tAda\n')).to.deep.equal([{ row: 2, values: { email: 'a@example.com', name: 'Ada' } }]);
      expect(sniffDelimiter('email\n')).to.equal(',');
      expect(sniffDelimiter('\n"a;b",c;d;e\n')).to.equal(';');
    });

    it('refuses a file without an email column, with a column twice, or that does not parse', async () => {
      expect((await fileError('csv', 'name\nAda\n')).message).to.match(/has no "email" column; it has "name"/);
      expect((await fileError('csv', 'email,Email\na,b\n')).message).to.match(/two "email" columns \(column 1 and column 2\)/);
      const quote = await fileError('csv', 'email\n"a@example.com\n');
      expect(quote.message).to.match(/^file: not a readable CSV file: Quote Not Closed/);
      expect(quote.scimType).to.equal('invalidSyntax');
      expect((await fileError('csv', 'email\n\n\n')).message).to.match(/no rows to import/);
    });
  });

  describe('JSON', () => {
    it('streams the elements of a top-level array, whatever the piece boundaries', async () => {
      const text = ' [ {"email":"a@x.com","name":"A, \\"quoted\\" ]"} ,\n 7, "s,]" , [1,[2,{"k":"}"}]], null ] ';
      for (const size of [1, 2, 5, 4096]) {
        const out: unknown[] = [];
        for await (const e of jsonElements(pieces(Buffer.from(text), size))) out.push(e);
        expect(out, `pieces of ${size}`).to.deep.equal([
          { index: 1, value: { email: 'a@x.com', name: 'A, "quoted" ]' } },
          { index: 2, value: 7 },
          { index: 3, value: 's,]' },
          { index: 4, value: [1, [2, { k: '}' }]] },
          { index: 5, value: null },
        ]);
      }
    });

    it('keeps multi-byte characters split across pieces', async () => {
      const text = JSON.stringify([{ email: 'zoë@example.com', name: '日本語' }]);
      expect(await rows('json', text, 1)).to.deep.equal([{ row: 1, values: { email: 'zoë@example.com', name: '日本語' } }]);
    });

    it('makes rows of objects (keys case-insensitive), reading numbers, booleans and null as text', async () => {
      const text = JSON.stringify([{ Email: 'a@x.com', ROLE: 'admin', other: { any: 1 } }, { email: 5, name: null, company: true }]);
      expect(await rows('json', text)).to.deep.equal([
        { row: 1, values: { email: 'a@x.com', role: 'admin' } },
        { row: 2, values: { email: '5', name: '', company: 'true' } },
      ]);
    });

    it('refuses a file whose elements do not have the shape of a row, naming the element', async () => {
      const cases: [string, RegExp][] = [
        ['[{"email":"a@x.com"},"b@x.com"]', /element 2 of the JSON array: expected an object with an "email" field, got a string/],
        ['[null]', /element 1 of the JSON array: expected an object .* got null/],
        ['[{"email":"a@x.com"},[]]', /element 2 of the JSON array: expected an object .* got an array/],
        ['[{"email":"c@x.com","company":["x"]}]', /element 1 of the JSON array: "company" must be a string, number, boolean or null, not an array/],
        ['[{"EMAIL":{"a":1}}]', /element 1 of the JSON array: "EMAIL" must be .* not an object/],
        ['[{"email":"a@x.com","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":{}}]', /"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" must be/],
      ];
      for (const [text, message] of cases) {
        const err = await fileError('json', text);
        expect(err.message, text).to.match(message);
        expect(err.scimType, text).to.equal('invalidValue');
      }
    });

    it('refuses what is not one JSON array, naming where', async () => {
      const cases: [string, RegExp][] = [
        ['{"email":"a"}', /must be an array of objects; it starts with "\{" at character 1/],
        ['[{"email":"a"},]', /expected an element after ","/],
        ['[{"email":"a"} {"email":"b"}]', /element 1 of the JSON array is not valid JSON/],
        ['[{"email":"a"}] []', /unexpected "\[" after the end of the JSON array at character 17/],
        ['[{"email":"a"}', /the JSON array is not closed/],
        ['[]', /no rows to import/],
        ['[{"name":"a"}]', /no object in the JSON array has an "email" field/],
      ];
      for (const [text, message] of cases) expect((await fileError('json', text)).message, text).to.match(message);
    });
  });

  describe('XLSX', () => {
    it('leaves no file descriptor open after reading a workbook whose sheets exceljs spools to temporary files', async () => {
      const file = await xlsxFile([
        { name: 'People', rows: [['email'], ['a@example.com']] },
        { name: 'Second', rows: [['email'], ['b@example.com']] },
      ]);
      const open = () => readdirSync('/proc/self/fd').length;
      await rows('xlsx', file);
      const before = open();
      for (let i = 0; i < 20; i++) expect(await rows('xlsx', file)).to.have.length(1);
      // Before the fix every read kept one descriptor (and one temporary file) until the process exited.
      expect(open() - before).to.be.below(3);
    });

    it('reads the first worksheet with shared strings stored after it, as Excel saves them', async () => {
      const file = await xlsxFile([
        { name: 'People', rows: [[], ['Role', 'EMAIL'], ['admin', 'a@example.com'], [null, { text: 'b@example.com', hyperlink: 'mailto:b@example.com' }], [], ['user', 42]] },
        { name: 'Second', rows: [['email'], ['nobody@example.com']] },
      ]);
      expect(await rows('xlsx', file, 100)).to.deep.equal([
        { row: 3, values: { role: 'admin', email: 'a@example.com' } },
        { row: 4, values: { role: '', email: 'b@example.com' } },
        { row: 6, values: { role: 'user', email: '42' } },
      ]);
      const inline = await xlsxFile([{ name: 'S', rows: [['email'], ['a@example.com']] }], { sharedStrings: false });
      expect(await rows('xlsx', inline)).to.deep.equal([{ row: 2, values: { email: 'a@example.com' } }]);
    });

    it('can stop early without reading the rest', async () => {
      const file = await xlsxFile([{ name: 'S', rows: [['email'], ...Array.from({ length: 500 }, (_, i) => [`u${i}@example.com`])] }]);
      let seen = 0;
      for await (const row of readRows('xlsx', pieces(file, 4096))) {
        seen = row.row;
        if (row.row === 10) break;
      }
      expect(seen).to.equal(10);
    });

    it('refuses what is not a workbook, a truncated one, and a sheet without an email column', async () => {
      expect((await fileError('xlsx', 'hello')).message).to.match(/^file: not an XLSX workbook/);
      const file = await xlsxFile([{ name: 'S', rows: [['email'], ['a@example.com']] }]);
      expect((await fileError('xlsx', file.subarray(0, file.length - 100))).message).to.match(/^file: not a readable XLSX workbook/);
      const noEmail = await xlsxFile([{ name: 'S', rows: [['Name', 'Mail'], ['Ada', 'a@example.com']] }]);
      expect((await fileError('xlsx', noEmail)).message).to.match(/has no "email" column; it has "Name", "Mail"/);
    });

    it('shows cells as Excel does', () => {
      expect(cellText('a')).to.equal('a');
      expect(cellText(3)).to.equal('3');
      expect(cellText({ text: 'x@y.z', hyperlink: 'mailto:x@y.z' })).to.equal('x@y.z');
      expect(cellText({ richText: [{ text: 'a' }, { text: 'b' }] })).to.equal('ab');
      expect(cellText({ formula: 'A1', result: 'r' })).to.equal('r');
      expect(cellText(null)).to.equal(undefined);
      expect(columnLetter(0)).to.equal('A');
      expect(columnLetter(27)).to.equal('AB');
    });
  });

  it('tells a failing byte source apart from a bad file', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('email\na@example.com\n');
      throw new Error('connection reset');
    }
    for (const format of ['csv', 'json', 'xlsx'] as const) {
      let caught: unknown;
      try {
        for await (const _ of readRows(format, format === 'csv' ? broken() : (async function* () { throw new Error('connection reset'); })())) void _;
      } catch (err) {
        caught = err;
      }
      expect(caught, format).to.be.instanceOf(SourceReadError);
    }
  });
});
