import { expect } from 'chai';

// The console's client modules are plain browser ES modules (no build step); their pure helpers
// run under Node as they are. Imported by a computed path: they carry no type declarations.
const API_MODULE = '../../../console/api.js';

interface ClientApi {
  fieldOf(detail: string): { field?: string; message: string };
  sentence(text: string): string;
  query(params: Record<string, unknown>): string;
  percent(rate: number): string;
  importTypeOf(name: string): string | undefined;
  pageLabel(offset: number, count: number, total: number): string;
  describeError(err: unknown): string;
  ApiError: new (status: number, problem: unknown) => Error & { field?: string; fieldMessage?: string; reason?: string };
}

describe('console client: pure helpers', () => {
  let lib: ClientApi;
  before(async () => {
    lib = (await import(API_MODULE)) as ClientApi;
  });

  it('splits a problem detail into the field at fault and the message', () => {
    expect(lib.fieldOf('email: Invalid email address')).to.deep.equal({ field: 'email', message: 'Invalid email address' });
    expect(lib.fieldOf('roles.0.key: expected lower-case letters')).to.deep.equal({ field: 'roles', message: 'expected lower-case letters' });
    expect(lib.fieldOf('this account is suspended')).to.deep.equal({ field: undefined, message: 'this account is suspended' });
    expect(lib.fieldOf('')).to.deep.equal({ field: undefined, message: '' });
  });

  it('turns refusals into sentences, and a stale edit into advice', () => {
    const err = new lib.ApiError(400, { detail: 'company: "X" is not one of the companies', reason: undefined });
    expect(err.field).to.equal('company');
    expect(lib.describeError(err)).to.equal('Company: "X" is not one of the companies.');
    expect(lib.describeError(new lib.ApiError(412, { detail: 'If-Match W/"1" does not match' }))).to.match(/^Someone changed this user/);
    expect(lib.describeError(new lib.ApiError(500, undefined))).to.equal('The server answered 500.');
    expect(lib.describeError(new TypeError('Failed to fetch'))).to.match(/could not be reached/);
    expect(lib.sentence('done!')).to.equal('Done!');
  });

  it('builds query strings from the values that are set', () => {
    expect(lib.query({ tab: 'pending', search: '', role: undefined, offset: 0, limit: 20 })).to.equal('?tab=pending&offset=0&limit=20');
    expect(lib.query({ search: 'a&b c' })).to.equal('?search=a%26b+c');
    expect(lib.query({})).to.equal('');
  });

  it('formats rates, pages and import types', () => {
    expect(lib.percent(0.6667)).to.equal('66.7%');
    expect(lib.percent(0)).to.equal('0%');
    expect(lib.pageLabel(0, 20, 45)).to.equal('1–20 of 45');
    expect(lib.pageLabel(40, 5, 45)).to.equal('41–45 of 45');
    expect(lib.pageLabel(0, 0, 0)).to.equal('No users');
    expect(lib.importTypeOf('People.CSV')).to.equal('text/csv');
    expect(lib.importTypeOf('people.xlsx')).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(lib.importTypeOf('people.xls')).to.equal(undefined);
  });
});
