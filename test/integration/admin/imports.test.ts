import { expect } from 'chai';
import type supertest from 'supertest';
import { api, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';
import { csvFile, XLSX, xlsxFile } from '../../support/import-files.js';
import { admin, expectProblem } from './helpers.js';

const LIFECYCLE = 'urn:roster:params:scim:schemas:extension:lifecycle:1.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface RowError {
  row: number;
  email: string;
  code: string;
  reason: string;
}

export function upload(org: TestOrg, body: string | Buffer, contentType: string, query = '', token = org.adminToken): supertest.Test {
  return api()
    .post(`/api/v1/imports${query}`)
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', contentType)
    .send(body);
}

/** Uploads, awaits the job's end in this process (no polling, no sleep), and reads the job with every error. */
export async function importAndWait(org: TestOrg, body: string | Buffer, contentType: string, query = '') {
  const res = await upload(org, body, contentType, query);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${res.text}`);
  await h().services.imports.whenDone(res.body.id as string);
  const job = await admin(org).get(`/jobs/${res.body.id}?errorsCount=1000`).expect(200);
  return { accepted: res, job: job.body as Record<string, unknown> & { errors: RowError[] } };
}

async function usersOf(org: TestOrg): Promise<{ userName: string; id: string }[]> {
  const res = await org.scim.get('/Users?count=1000').expect(200);
  return res.body.Resources as { userName: string; id: string }[];
}

describe('Bulk invitations (POST /api/v1/imports, GET /api/v1/jobs/{id})', () => {
  it('CSV: invites every good row; reports each bad one with its row number, email, code and reason; a bad row stops nothing', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 10, companies: ['Acme'] });
    const file = csvFile([
      ['Email', ' Name ', 'ROLE', 'Company', 'Notes'],
      ['ada@example.com', 'Ada Lovelace', 'admin', 'Acme', 'first'], // 2
      ['bob@other.org', 'Bob', '', '', ''], // 3
      ['not-an-email', '', '', '', ''], // 4
      ['grace@example.com', 'Grace', 'wizard', '', ''], // 5
      ['', 'Nobody', '', '', ''], // 6
      ['', '', '', '', 'a note only'], // 7: no value in a known column, not a row to import
      ['ADA@example.com', 'Ada again', '', '', ''], // 8
      ['hopper@example.com', '', 'user', 'Initech', ''], // 9
      ['alan@example.com', '', '', '', ''], // 10
    ]);
    const { accepted, job } = await importAndWait(org, file, 'text/csv', '?fileName=people.csv');
    expect(accepted.headers.location).to.equal(`https://roster.test/api/v1/jobs/${accepted.body.id}`);
    expect(accepted.body).to.include({ kind: 'invitations.import', state: 'queued', format: 'csv', fileName: 'people.csv', total: 8, processed: 0 });
    expect(job).to.include({ state: 'completed', total: 8, processed: 8, succeeded: 2, failed: 6 });
    expect(job.started).to.be.a('string');
    expect(job.finished).to.be.a('string');
    expect(job.errors.map((e) => [e.row, e.email, e.code])).to.deep.equal([
      [3, 'bob@other.org', 'domainNotAllowed'],
      [4, 'not-an-email', 'invalidEmail'],
      [5, 'grace@example.com', 'invalidValue'],
      [6, '', 'invalidEmail'],
      [8, 'ADA@example.com', 'duplicateInFile'],
      [9, 'hopper@example.com', 'invalidValue'],
    ]);
    const reason = (row: number) => job.errors.find((e) => e.row === row)!.reason;
    expect(reason(3)).to.match(/^email domain not allowed: "other\.org"/);
    expect(reason(4)).to.match(/^invalid email/);
    expect(reason(5)).to.match(/^role: "wizard" is not a role/);
    expect(reason(6)).to.match(/^email: /);
    expect(reason(8)).to.equal('duplicate of row 2');
    expect(reason(9)).to.match(/^company: "Initech"/);

    // The invited users went through the same rules and shape as a single invitation.
    const users = await usersOf(org);
    expect(users.map((u) => u.userName).sort()).to.deep.equal(['ada@example.com', 'alan@example.com']);
    const ada = await org.scim.get(`/Users/${users.find((u) => u.userName === 'ada@example.com')!.id}`).expect(200);
    expect(ada.body[LIFECYCLE].status).to.equal('invited');
    expect(ada.body.displayName).to.equal('Ada Lovelace');
    expect(ada.body[ENTERPRISE].organization).to.equal('Acme');
    expect((ada.body.roles as { value: string }[]).map((r) => r.value)).to.include('admin');
    const outbox = await admin(org).get('/outbox').expect(200);
    expect((outbox.body.items as { to: string }[]).map((m) => m.to).sort()).to.deep.equal(['ada@example.com', 'alan@example.com']);
    expect((await admin(org).get('/kpis').expect(200)).body.invited).to.equal(2);

    // The import is an admin action in the audit trail, and each invitation is recorded as the uploader's.
    const audit = await admin(org).get('/audit?limit=100').expect(200);
    const actions = (audit.body.items as { action: string; target: { id: string }; requestId: string }[]);
    const started = actions.find((e) => e.action === 'import.started');
    expect(started?.target.id).to.equal(accepted.body.id);
    expect(actions.find((e) => e.action === 'import.completed')?.target.id).to.equal(accepted.body.id);
    expect(actions.filter((e) => e.action === 'invitation.sent' && e.requestId === started?.requestId)).to.have.length(2);
  });

  it('reads a JSON file itself on any letter case of the path (routing ignores case, so must the JSON parser bypass)', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const res = await api()
      .post('/api/v1/IMPORTS')
      .set('Authorization', `Bearer ${org.adminToken}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([{ email: 'ada@example.com' }]))
      .expect(202);
    await h().services.imports.whenDone(res.body.id as string);
    const job = await admin(org).get(`/jobs/${res.body.id}`).expect(200);
    expect(job.body).to.include({ state: 'completed', succeeded: 1, failed: 0 });
  });

  it('JSON array: rows are numbered by their 1-based index; a row breaking a rule is reported, the others go on', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = JSON.stringify([
      { email: 'ada@example.com', name: 'Ada' },
      { email: 'bob@elsewhere.net' },
      { EMAIL: ' grace@example.com ', Role: 'user' },
      { Name: 'no email' },
    ]);
    const { job } = await importAndWait(org, file, 'application/json');
    expect(job).to.include({ state: 'completed', format: 'json', total: 4, processed: 4, succeeded: 2, failed: 2 });
    expect(job.errors.map((e) => e.row)).to.deep.equal([2, 4]);
    expect((await usersOf(org)).map((u) => u.userName).sort()).to.deep.equal(['ada@example.com', 'grace@example.com']);
  });

  it('JSON array: an element that is not a row object, or a column holding an object, refuses the whole file (400, no job)', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    for (const [file, detail] of [
      [[{ email: 'ada@example.com' }, 'grace@example.com'], /element 2 of the JSON array: expected an object/],
      [[{ email: 'x@example.com', name: { first: 'X' } }], /element 1 of the JSON array: "name" must be a string, number, boolean or null, not an object/],
      [[{ email: '', role: '', name: '', company: {} }], /"company" must be/],
    ] as const) {
      const res = await upload(org, JSON.stringify(file), 'application/json');
      expectProblem(res, 400, 'invalidValue');
      expect(res.body.detail).to.match(detail);
      expect(res.headers.location).to.equal(undefined);
    }
    expect(await usersOf(org)).to.have.length(0);
  });

  it('XLSX: reads the first worksheet, its header row, linked and rich-text cells; row numbers are Excel\'s', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = await xlsxFile([
      {
        name: 'Users',
        rows: [
          ['Name', 'E-Mail notes', 'email', 'Company'],
          ['Ada', '', { text: 'ada@example.com', hyperlink: 'mailto:ada@example.com' }, ''], // 2
          [], // 3: empty
          ['Grace', '', { richText: [{ text: 'grace@' }, { text: 'example.com' }] }, ''], // 4
          ['Bob', '', 'bob@elsewhere.net', ''], // 5
        ],
      },
      { name: 'Ignored', rows: [['email'], ['ignored@example.com']] },
    ]);
    const { job } = await importAndWait(org, file, XLSX);
    expect(job).to.include({ state: 'completed', format: 'xlsx', total: 3, succeeded: 2, failed: 1 });
    expect(job.errors).to.have.length(1);
    expect(job.errors[0]).to.include({ row: 5, email: 'bob@elsewhere.net', code: 'domainNotAllowed' });
    expect((await usersOf(org)).map((u) => u.userName).sort()).to.deep.equal(['ada@example.com', 'grace@example.com']);
  });

  it('seat limit mid-file: rows are invited in file order, the tail reports "seat limit reached", a taken address past the limit is a duplicate', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 3 });
    await org.scim.post('/Users', userBody('taken@example.com')).expect(201); // holds one of the 3 seats
    const file = csvFile([
      ['email'],
      ['a@example.com'], // 2
      ['b@example.com'], // 3
      ['c@example.com'], // 4: no seat left
      ['Taken@example.com'], // 5: no seat either, but the address is taken anyway
      ['d@example.com'], // 6
    ]);
    const { job } = await importAndWait(org, file, 'text/csv');
    expect(job).to.include({ state: 'completed', succeeded: 2, failed: 3 });
    expect(job.errors.map((e) => [e.row, e.code])).to.deep.equal([
      [4, 'seatLimit'],
      [5, 'duplicate'],
      [6, 'seatLimit'],
    ]);
    expect(job.errors[0]!.reason).to.equal('seat limit reached: 3 of 3 seats in use');
    expect(job.errors[1]!.reason).to.equal('duplicate: a user with this email already exists');
    expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(3);
  });

  it('uploading the same file again invites nobody twice: the second job reports every row as a duplicate', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const file = csvFile([['email', 'name'], ['ada@example.com', 'Ada'], ['grace@example.com', 'Grace'], ['alan@example.com', 'Alan']]);
    const first = await importAndWait(org, file, 'text/csv');
    expect(first.job).to.include({ succeeded: 3, failed: 0 });
    const second = await importAndWait(org, file, 'text/csv');
    expect(second.accepted.body.id).to.not.equal(first.accepted.body.id);
    expect(second.job).to.include({ state: 'completed', succeeded: 0, failed: 3 });
    expect(second.job.errors.map((e) => [e.row, e.code, e.reason])).to.deep.equal([
      [2, 'duplicate', 'duplicate: a user with this email already exists'],
      [3, 'duplicate', 'duplicate: a user with this email already exists'],
      [4, 'duplicate', 'duplicate: a user with this email already exists'],
    ]);
    expect(await usersOf(org)).to.have.length(3);
    expect((await admin(org).get('/outbox').expect(200)).body.total).to.equal(3);
  });

  it('processes a file of several batches and pages the error list (errorsStartIndex, errorsCount)', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const rows = [['email']];
    for (let i = 0; i < 250; i++) rows.push([i % 50 === 7 ? `bad${i}@other.org` : `user${i}@example.com`]);
    const { accepted, job } = await importAndWait(org, csvFile(rows), 'text/csv');
    expect(job).to.include({ state: 'completed', total: 250, processed: 250, succeeded: 245, failed: 5 });
    expect(job.errors.map((e) => e.row)).to.deep.equal([9, 59, 109, 159, 209]);
    const page = await admin(org).get(`/jobs/${accepted.body.id}?errorsStartIndex=2&errorsCount=2`).expect(200);
    expect(page.body.errorsStartIndex).to.equal(2);
    expect(page.body.errors.map((e: RowError) => e.row)).to.deep.equal([59, 109]);
    const none = await admin(org).get(`/jobs/${accepted.body.id}?errorsCount=0`).expect(200);
    expect(none.body.errors).to.deep.equal([]);
    expect(none.body.failed).to.equal(5);
    const defaults = await admin(org).get(`/jobs/${accepted.body.id}`).expect(200);
    expect(defaults.body.errorsStartIndex).to.equal(1);
    expect(defaults.body.errors).to.have.length(5);
    expect(await h().store.models.ImportChunk.collection.countDocuments({ jobId: accepted.body.id })).to.equal(0);
  });

  it('answers 400 naming what is wrong: a file that does not parse, no email column, no rows, a bad parameter', async () => {
    const org = await newOrg();
    const cases: [string | Buffer, string, RegExp, string][] = [
      ['name,role\nAda,admin\n', 'text/csv', /^file: the header \(row 1\) has no "email" column; it has "name", "role"/, 'invalidValue'],
      ['email,EMAIL\na@example.com,b@example.com\n', 'text/csv', /two "email" columns \(column 1 and column 2\)/, 'invalidValue'],
      ['email\n"ada@example.com\n', 'text/csv', /^file: not a readable CSV file: Quote Not Closed/, 'invalidSyntax'],
      ['email\n', 'text/csv', /^file: there are no rows to import/, 'invalidValue'],
      ['', 'text/csv', /^file: the request body is empty/, 'invalidSyntax'],
      ['{"email":"ada@example.com"}', 'application/json', /^file: a JSON import must be an array of objects/, 'invalidSyntax'],
      ['[{"email":"ada@example.com"},', 'application/json', /^file: the JSON array is not closed/, 'invalidSyntax'],
      ['[{"name":"Ada"}]', 'application/json', /^file: no object in the JSON array has an "email" field/, 'invalidValue'],
      ['this is not a workbook', XLSX, /^file: not an XLSX workbook/, 'invalidSyntax'],
      [await xlsxFile([{ name: 'S', rows: [['Name'], ['Ada']] }]), XLSX, /^file: the header \(row 1\) has no "email" column/, 'invalidValue'],
    ];
    for (const [body, type, detail, scimType] of cases) {
      const res = await upload(org, body, type);
      expectProblem(res, 400, scimType);
      expect(res.body.detail, `${type}: ${String(body).slice(0, 40)}`).to.match(detail);
    }
    const long = await upload(org, 'email\na@example.com\n', 'text/csv', `?fileName=${'x'.repeat(300)}`);
    expectProblem(long, 400, 'invalidValue');
    expect(long.body.detail).to.match(/^fileName: /);
    const bad = await admin(org).get('/jobs/anything?errorsCount=5000');
    expectProblem(bad, 400, 'invalidValue');
    expect(bad.body.detail).to.match(/^errorsCount: /);
    // Nothing was stored for the refused uploads.
    expect(await h().store.models.Job.collection.countDocuments({ orgId: org.id })).to.equal(0);
  });

  it('answers 415 for another Content-Type or charset, naming what is accepted', async () => {
    const org = await newOrg();
    for (const type of ['text/plain', 'application/vnd.ms-excel', 'text/csv; charset=iso-8859-1']) {
      const res = await upload(org, 'email\na@example.com\n', type);
      expectProblem(res, 415);
      expect(res.body.detail).to.match(/^Content-Type: /);
    }
    const none = await api().post('/api/v1/imports').set('Authorization', `Bearer ${org.adminToken}`);
    expectProblem(none, 415);
    // A JSON upload is not cut by ROSTER_BODY_LIMIT (1mb): the import reads its own body. (Rows on a
    // domain the organization does not have fail without a database round trip, so the job is quick.)
    const limited = await newOrg({ domains: ['example.com'] });
    const big = JSON.stringify(Array.from({ length: 600 }, (_, i) => ({ email: `user${i}@other.org`, notes: 'x'.repeat(2000) })));
    expect(big.length).to.be.greaterThan(1024 * 1024);
    const { job } = await importAndWait(limited, big, 'application/json');
    expect(job).to.include({ state: 'completed', total: 600, succeeded: 0, failed: 600 });
  });

  it('answers 401 without a token, 403 to a token without the admin scope, 404 for another organization\'s job', async () => {
    const org = await newOrg();
    const other = await newOrg();
    const { accepted } = await importAndWait(org, 'email\nada@example.com\n', 'text/csv');
    expectProblem(await api().post('/api/v1/imports').set('Content-Type', 'text/csv').send('email\na@example.com\n'), 401);
    expectProblem(await upload(org, 'email\na@example.com\n', 'text/csv', '', org.scimToken), 403);
    expectProblem(await api().get(`/api/v1/jobs/${accepted.body.id}`), 401);
    expectProblem(await api().get(`/api/v1/jobs/${accepted.body.id}`).set('Authorization', `Bearer ${org.scimToken}`), 403);
    expectProblem(await admin(other).get(`/jobs/${accepted.body.id}`), 404);
    expectProblem(await admin(org).get('/jobs/no-such-job'), 404);
    await admin(org).get(`/jobs/${accepted.body.id}`).expect(200);
  });
});
