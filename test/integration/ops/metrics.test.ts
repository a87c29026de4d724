import { expect } from 'chai';
import supertest from 'supertest';
import { createApp, createServices } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import { scimOperation } from '../../../src/http/metrics.js';
import { routeMatcher } from '../../../src/http/methods.js';
import { h, newOrg, testConfig, userBody, PATCH_OP } from '../../support/harness.js';
import { csvFile } from '../../support/import-files.js';
import { check } from '../../support/contract-coverage.js';

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789';

/** The value of one sample line `name{labels} value` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('Metrics (GET /metrics, Prometheus text format)', () => {
  it('counts requests by route template, SCIM operations, database commands, rule refusals, imports and sign-ins', async () => {
    const config = testConfig({ ROSTER_METRICS_TOKEN: METRICS_TOKEN });
    const deps = { config, store: h().store, logger: createLogger('silent'), clock: h().clock, metrics: new Metrics() };
    const services = createServices(deps);
    const app = supertest(createApp(deps, services));
    const org = await newOrg({ seatLimit: 1, domains: ['example.com'] });
    const scim = (t: supertest.Test) => t.set('Authorization', `Bearer ${org.scimToken}`).set('Content-Type', 'application/scim+json');
    const asAdmin = (t: supertest.Test) => t.set('Authorization', `Bearer ${org.adminToken}`);

    const ada = (await scim(app.post('/scim/v2/Users')).send(JSON.stringify(userBody('ada@example.com', { password: 'correct horse battery' }))).expect(201)).body.id as string;
    await scim(app.get(`/scim/v2/Users/${ada}`)).expect(200);
    await scim(app.get('/scim/v2/Users?count=1')).expect(200);
    await scim(app.patch(`/scim/v2/Users/${ada}`)).send(JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada' }] })).expect(200);
    await scim(app.post('/scim/v2/Users')).send(JSON.stringify(userBody('ada@example.com', { active: false }))).expect(409);
    await scim(app.post('/scim/v2/Users')).send(JSON.stringify(userBody('bob@example.com'))).expect(403);
    await scim(app.post('/scim/v2/Users')).send(JSON.stringify(userBody('eve@elsewhere.org', { active: false }))).expect(400);
    await scim(app.get('/scim/v2/Groups')).expect(200);

    const signin = (await asAdmin(app.post('/api/v1/tokens')).send({ name: 'login', scopes: ['signin'] }).expect(201)).body.token as string;
    await app.post('/api/v1/sessions').set('Authorization', `Bearer ${signin}`).send({ email: 'ada@example.com', password: 'correct horse battery' }).expect(201);
    await app.post('/api/v1/sessions').set('Authorization', `Bearer ${signin}`).send({ email: 'ada@example.com', password: 'wrong' }).expect(401);

    const file = csvFile([['email'], ['carol@example.com'], ['dan@other.org'], ['ada@example.com']]);
    const job = await asAdmin(app.post('/api/v1/imports')).set('Content-Type', 'text/csv').send(file).expect(202);
    await services.imports.whenDone(job.body.id as string);

    check('get', '/metrics', await app.get('/metrics'), 401);
    check('get', '/metrics', await app.get('/metrics').set('Authorization', 'Bearer wrong'), 401);
    const res = check('get', '/metrics', await app.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`), 200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    const text = res.text;

    expect(sample(text, 'roster_http_requests_total', { route: '/scim/v2/Users/{id}', method: 'GET', status: '200' })).to.equal(1);
    expect(sample(text, 'roster_http_requests_total', { route: '/scim/v2/Users', method: 'POST', status: '201' })).to.equal(1);
    expect(sample(text, 'roster_http_request_duration_seconds_count', { route: '/scim/v2/Users/{id}', method: 'PATCH' })).to.equal(1);
    expect(text).to.include('roster_http_request_duration_seconds_bucket{le="0.005",route="/scim/v2/Users"');
    // Never a raw id in a label.
    expect(text).to.not.include(ada);
    expect(text).to.not.match(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);

    expect(sample(text, 'roster_scim_operations_total', { resource: 'Users', operation: 'create', outcome: '2xx' })).to.equal(1);
    expect(sample(text, 'roster_scim_operations_total', { resource: 'Users', operation: 'create', outcome: '4xx' })).to.equal(3);
    expect(sample(text, 'roster_scim_operations_total', { resource: 'Users', operation: 'patch' })).to.equal(1);
    expect(sample(text, 'roster_scim_operations_total', { resource: 'Groups', operation: 'list' })).to.equal(1);

    expect(sample(text, 'roster_db_command_duration_seconds_count', { command: 'find', outcome: 'ok' })).to.be.greaterThan(0);
    expect(sample(text, 'roster_db_command_duration_seconds_count', { command: 'insert', outcome: 'ok' })).to.be.greaterThan(0);

    expect(sample(text, 'roster_rule_refusals_total', { rule: 'uniqueness', source: 'request' })).to.equal(1);
    expect(sample(text, 'roster_rule_refusals_total', { rule: 'seat', source: 'request' })).to.equal(1);
    expect(sample(text, 'roster_rule_refusals_total', { rule: 'domain', source: 'request' })).to.equal(1);
    expect(sample(text, 'roster_rule_refusals_total', { rule: 'domain', source: 'import' })).to.equal(1);

    expect(sample(text, 'roster_import_jobs_total', { outcome: 'completed' })).to.equal(1);
    expect(sample(text, 'roster_import_jobs_total', { outcome: 'failed' })).to.equal(0);
    expect(sample(text, 'roster_import_rows_total', { outcome: 'domainNotAllowed' })).to.equal(1);
    expect(sample(text, 'roster_import_rows_total', { outcome: 'duplicate' })).to.equal(1);
    expect(sample(text, 'roster_import_rows_total', { outcome: 'seatLimit' })).to.equal(1);

    expect(sample(text, 'roster_signin_total', { outcome: 'success' })).to.equal(1);
    expect(sample(text, 'roster_signin_total', { outcome: 'invalid_credentials' })).to.equal(1);
    expect(sample(text, 'roster_process_resident_memory_bytes')).to.be.greaterThan(0);
    // The scrape itself is the one request in flight.
    expect(sample(text, 'roster_http_requests_in_flight')).to.equal(1);
  });

  it('counts lifecycle event SETs delivered and failed (docs/events.md)', async () => {
    const config = testConfig({ ROSTER_METRICS_TOKEN: METRICS_TOKEN });
    const deps = { config, store: h().store, logger: createLogger('silent'), clock: h().clock, metrics: new Metrics() };
    const services = createServices(deps);
    const app = supertest(createApp(deps, services));
    const org = await newOrg();
    const asAdmin = (t: supertest.Test) => t.set('Authorization', `Bearer ${org.adminToken}`).set('Content-Type', 'application/json');
    const created = await asAdmin(app.post('/ssf/streams'))
      .send({ delivery: { method: 'urn:ietf:rfc:8936' }, events_requested: ['urn:ietf:params:scim:event:prov:create:full'] })
      .expect(201);
    const poll = `/ssf/poll/${created.body.stream_id as string}`;
    for (const name of ['ada', 'bob']) {
      await app
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(userBody(`${name}@example.com`)))
        .expect(201);
    }
    await services.events.drain(org.id);
    const sets = Object.keys((await asAdmin(app.post(poll)).send({ returnImmediately: true }).expect(200)).body.sets as object);
    expect(sets).to.have.length(2);
    // One acknowledged, one refused by the receiver (RFC 8936 setErrs).
    await asAdmin(app.post(poll))
      .send({ ack: [sets[0]], setErrs: { [sets[1]!]: { err: 'invalid_request', description: 'not for us' } }, returnImmediately: true })
      .expect(200);
    const text = (await app.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
    expect(sample(text, 'roster_event_deliveries_total', { outcome: 'delivered' })).to.equal(1);
    expect(sample(text, 'roster_event_deliveries_total', { outcome: 'failed' })).to.equal(1);
    expect(sample(text, 'roster_event_deliveries_total', { outcome: 'retried' })).to.equal(0);
  });

  it('is not served without ROSTER_METRICS_TOKEN', async () => {
    const res = await supertest(h().app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).to.equal(404);
  });

  it('maps paths to templates (literal before parameterized, unknown paths "unmatched") and SCIM operations', () => {
    const match = routeMatcher(['/scim/v2/Users', '/scim/v2/Users/{id}', '/scim/v2/Users/.search', '/api/v1/users/{id}/sessions/{sessionId}']);
    expect(match('/scim/v2/Users/.search')).to.equal('/scim/v2/Users/.search');
    expect(match('/scim/v2/Users/2819c223-7f76-453a-919d-413861904646')).to.equal('/scim/v2/Users/{id}');
    expect(match('/api/v1/users/u1/sessions/s1')).to.equal('/api/v1/users/{id}/sessions/{sessionId}');
    expect(match('/wp-admin/2819c223')).to.equal('unmatched');
    // Express serves /scim/v2/users as /scim/v2/Users: the label and the 405 table follow it.
    expect(match('/scim/v2/users/2819c223/')).to.equal('/scim/v2/Users/{id}');
    expect(match('/SCIM/V2/USERS/.SEARCH')).to.equal('/scim/v2/Users/.search');
    expect(scimOperation('DELETE', '/scim/v2/Groups/{id}')).to.deep.equal({ resource: 'Groups', operation: 'delete' });
    expect(scimOperation('POST', '/scim/v2/Groups/.search')).to.deep.equal({ resource: 'Groups', operation: 'search' });
    expect(scimOperation('GET', '/api/v1/users')).to.equal(undefined);
  });
});
