import { hostname } from 'node:os';
import { expect } from 'chai';
import { importFormatOf, isImportPath, XLSX_MEDIA_TYPE } from '../../../src/http/admin/imports.router.js';
import { isOwnerGone } from '../../../src/domain/imports/import.service.js';
import { mapHeader } from '../../../src/domain/imports/rows.js';
import { ScimError } from '../../../src/scim/errors.js';

function status415(contentType: string | undefined): string {
  try {
    importFormatOf(contentType);
  } catch (err) {
    expect(err).to.be.instanceOf(ScimError);
    expect((err as ScimError).status).to.equal(415);
    return (err as ScimError).detail;
  }
  throw new Error(`expected 415 for ${contentType}`);
}

describe('bulk import rules', () => {
  it('selects the parser by Content-Type, accepting a UTF-8 charset only', () => {
    expect(importFormatOf('text/csv')).to.equal('csv');
    expect(importFormatOf('text/csv; charset=UTF-8')).to.equal('csv');
    expect(importFormatOf('Application/JSON;charset="utf-8"')).to.equal('json');
    expect(importFormatOf(XLSX_MEDIA_TYPE)).to.equal('xlsx');
    expect(status415(undefined)).to.match(/^Content-Type: missing/);
    expect(status415('text/plain')).to.match(/^Content-Type: "text\/plain" is not an import format; send one of text\/csv/);
    expect(status415('application/vnd.ms-excel')).to.match(/save an \.xls workbook as \.xlsx/);
    expect(status415('text/csv; charset=windows-1252')).to.match(/charset "windows-1252" is not supported/);
  });

  it('recognizes the upload path, which reads its own body', () => {
    expect(isImportPath('/api/v1/imports')).to.equal(true);
    expect(isImportPath('/api/v1/imports/?fileName=a.csv')).to.equal(true);
    expect(isImportPath('/api/v1/imports/x')).to.equal(false);
    expect(isImportPath('/api/v1/invitations')).to.equal(false);
  });

  it('maps a header: names trimmed and in any case, unknown columns ignored, email required, no column twice', () => {
    expect([...mapHeader([' Name', 'EMAIL ', 'Team', 'company'], 1, String)]).to.deep.equal([
      [0, 'name'],
      [1, 'email'],
      [3, 'company'],
    ]);
    expect(() => mapHeader(['Name'], 1, String)).to.throw(/no "email" column/);
    expect(() => mapHeader(['email', 'Role', 'role'], 2, (i) => `column ${i + 1}`)).to.throw(/the header \(row 2\) has two "role" columns \(column 2 and column 3\)/);
  });

  it('takes over a lease only from a process certainly gone', () => {
    const self = `${hostname()}:${process.pid}:mine`;
    expect(isOwnerGone(`${hostname()}:${process.pid}:mine`, self)).to.equal(false);
    // The same pid under another instance id: this process restarted (a container's pid 1).
    expect(isOwnerGone(`${hostname()}:${process.pid}:before`, self)).to.equal(true);
    expect(isOwnerGone(`${hostname()}:${process.ppid}:x`, self)).to.equal(false);
    expect(isOwnerGone(`${hostname()}:4194303:x`, self)).to.equal(true);
    expect(isOwnerGone(`another-host:4194303:x`, self)).to.equal(false);
    expect(isOwnerGone('garbage', self)).to.equal(false);
  });
});
