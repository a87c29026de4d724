import { expect } from 'chai';
import supertest from 'supertest';
import { appWith, api, h, newOrg, type TestOrg } from '../../support/harness.js';
import { check, expectNoInternals, failing } from '../../support/contract-coverage.js';
import { csvFile, XLSX, xlsxFile } from '../../support/import-files.js';

// The bulk import routes held to openapi/openapi.json: every documented status is produced here.

const IMPORTS = '/api/v1/imports';
const JOB = '/api/v1/jobs/{id}';

function post(org: TestOrg | undefined, body: string | Buffer, contentType: string, token = org?.adminToken, app = api()) {
  const req = app.post(IMPORTS).set('Content-Type', contentType);
  if (token) req.set('Authorization', `Bearer ${token}`);
  return req.send(body);
}

describe('OpenAPI document: bulk import (imports, jobs)', () => {
  it('POST /api/v1/imports: every documented status', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const csv = csvFile([['email', 'name'], ['ada@example.com', 'Ada'], ['bob@other.org', 'Bob']]);
    const accepted = check('post', IMPORTS, await post(org, csv, 'text/csv'), 202);
    await h().services.imports.whenDone(accepted.body.id as string);
    const xlsx = await xlsxFile([{ name: 'Users', rows: [['Email'], ['grace@example.com']] }]);
    await h().services.imports.whenDone(check('post', IMPORTS, await post(org, xlsx, XLSX), 202).body.id as string);
    const json = JSON.stringify([{ email: 'alan@example.com' }]);
    await h().services.imports.whenDone(check('post', IMPORTS, await post(org, json, 'application/json'), 202).body.id as string);

    check('post', IMPORTS, await post(org, 'name\nAda\n', 'text/csv'), 400);
    check('post', IMPORTS, await post(undefined, csv, 'text/csv'), 401);
    check('post', IMPORTS, await post(org, csv, 'text/csv', org.scimToken), 403);
    check('post', IMPORTS, await post(org, csv, 'text/plain'), 415);

    // 413: an app whose ROSTER_IMPORT_MAX_BYTES is small, on the same database and services.
    const small = supertest(appWith({ ROSTER_IMPORT_MAX_BYTES: 2048 }, h().services));
    const big = csvFile([['email'], ...Array.from({ length: 200 }, (_, i) => [`user${i}@example.com`])]);
    const tooLarge = check('post', IMPORTS, await post(org, big, 'text/csv', org.adminToken, small), 413);
    expect(tooLarge.body.detail).to.match(/^file: larger than this server accepts \(ROSTER_IMPORT_MAX_BYTES, 2048 bytes\)/);

    await failing(h().services.imports, ['submit'], async () => {
      expectNoInternals(check('post', IMPORTS, await post(org, csv, 'text/csv'), 500));
    });
  });

  it('GET /api/v1/jobs/{id}: every documented status', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const other = await newOrg();
    const accepted = await post(org, csvFile([['email'], ['ada@example.com'], ['x@other.org']]), 'text/csv').expect(202);
    const id = accepted.body.id as string;
    await h().services.imports.whenDone(id);
    const path = `/api/v1/jobs/${id}`;
    const auth = (token: string) => `Bearer ${token}`;
    const done = check('get', JOB, await api().get(path).set('Authorization', auth(org.adminToken)), 200);
    expect(done.body).to.include({ state: 'completed', succeeded: 1, failed: 1 });
    expect(done.body.errors).to.have.length(1);
    check('get', JOB, await api().get(`${path}?errorsCount=-1`).set('Authorization', auth(org.adminToken)), 400);
    check('get', JOB, await api().get(path), 401);
    check('get', JOB, await api().get(path).set('Authorization', auth(org.scimToken)), 403);
    check('get', JOB, await api().get(path).set('Authorization', auth(other.adminToken)), 404);
    await failing(h().services.imports, ['get'], async () => {
      expectNoInternals(check('get', JOB, await api().get(path).set('Authorization', auth(org.adminToken)), 500));
    });

    // A job that ended as failed carries its reason, as the document describes.
    const gone = await post(org, csvFile([['email'], ['grace@example.com']]), 'text/csv').expect(202);
    await h().services.imports.whenDone(gone.body.id as string);
    await h().store.models.Job.collection.updateOne(
      { _id: gone.body.id as never },
      { $set: { state: 'failed', failureReason: 'the uploaded file is no longer stored' } },
    );
    const failedJob = check('get', JOB, await api().get(`/api/v1/jobs/${gone.body.id}`).set('Authorization', auth(org.adminToken)), 200);
    expect(failedJob.body.failureReason).to.be.a('string');
  });
});
