import { expect } from 'chai';
import { api } from '../../support/harness.js';
import { check } from '../../support/contract-coverage.js';
import { HTTP_METHODS, openapiDocument } from '../../support/openapi-contract.js';

// Every operation that needs a token documents 401 and answers it without one; a method the
// document does not list on a path it describes answers 405 with Allow.

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { $ref?: string }>;
}

describe('OpenAPI document: 401 on every secured operation, 405 on undeclared methods', () => {
  it('every operation with a security requirement documents 401 and answers it without a token', async () => {
    const doc = openapiDocument();
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of HTTP_METHODS) {
        const op = item[method] as Operation | undefined;
        if (!op) continue;
        const security = op.security ?? (doc.security as Operation['security']) ?? [];
        if (security.length === 0 || security.some((s) => Object.keys(s).length === 0)) continue;
        expect(op.responses, `${method.toUpperCase()} ${path}`).to.have.property('401');
        // GET /metrics exists only with ROSTER_METRICS_TOKEN: its 401s are produced in ops/metrics.test.ts.
        if (security.some((s) => 'metricsToken' in s)) continue;
        const ref = op.responses['401']!.$ref ?? '';
        if (!/\/(ScimUnauthorized|ProblemUnauthorized)$/.test(ref)) continue;
        const url = path.replace(/\{[^}]+\}/g, '0123456789abcdef01234567');
        const res = await (api() as unknown as Record<string, (u: string) => Promise<import('supertest').Response>>)[method]!(url);
        check(method, path, res, 401);
        expect(res.headers['www-authenticate']).to.match(/^Bearer/);
        checked += 1;
      }
    }
    expect(checked).to.be.greaterThan(40);
  });

  it('405 with Allow for an undeclared method: SCIM error JSON on SCIM routes, problem JSON elsewhere; unknown paths stay 404', async () => {
    const trace = await api().trace('/scim/v2/Bulk');
    expect(trace.status).to.equal(405);
    expect(trace.headers.allow).to.equal('POST');
    expect(trace.headers['content-type']).to.match(/^application\/scim\+json/);
    expect(trace.body).to.include({ status: '405' });
    const put = await api().put('/scim/v2/Users/.search');
    expect(put.status).to.equal(405);
    expect(put.headers.allow).to.equal('POST');
    const del = await api().delete('/api/v1/kpis');
    expect(del.status).to.equal(405);
    expect(del.headers.allow).to.equal('GET, HEAD');
    expect(del.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(del.body).to.include({ status: 405, title: 'Method Not Allowed' });
    const users = await api().post('/scim/v2/Users/0123');
    expect(users.status).to.equal(405);
    expect(users.headers.allow!.split(', ').sort()).to.deep.equal(['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT']);
    expect((await api().get('/scim/v2/Nothing')).status).to.equal(404);
    expect((await api().get('/api/v1/nothing/here')).status).to.equal(404);
  });
});
