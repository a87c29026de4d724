import { expect } from 'chai';
import supertest from 'supertest';
import { api, appWith, newOrg, OPERATOR_TOKEN } from '../../support/harness.js';
import { check } from '../../support/contract-coverage.js';
import { HTTP_METHODS, openapiDocument } from '../../support/openapi-contract.js';

// Every operation the rate limit can refuse lists its 429 (README "Rate limits"), and this produces
// each one: an app whose budget refills one request per 1000 s, so once a few requests with a token
// (or from the address without one) have spent it, every later one is refused, however slow the
// machine.
const ONE_REQUEST = { ROSTER_RATE_LIMIT_PER_SECOND: 0.001, ROSTER_RATE_LIMIT_BURST: 1 };

// Health probes and the Prometheus scrape answer before the limiter (a load balancer or a scraper
// must never be refused).
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

type Security = Record<string, string[]>[];

describe('OpenAPI document: 429 from the rate limit', () => {
  it('every operation but the health probes and /metrics answers 429 with Retry-After once its budget is spent', async () => {
    const org = await newOrg();
    const signin = await api()
      .post('/api/v1/tokens')
      .set('Authorization', `Bearer ${org.adminToken}`)
      .send({ name: 'signin', scopes: ['signin'] })
      .expect(201);
    const tokens: Record<string, string> = {
      scim: org.scimToken,
      admin: org.adminToken,
      signin: signin.body.token as string,
      operator: OPERATOR_TOKEN,
    };
    const doc = openapiDocument();
    const app = supertest(appWith(ONE_REQUEST));
    let refused = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (UNLIMITED.has(path)) continue;
      for (const method of HTTP_METHODS) {
        const op = item[method] as { security?: Security; responses: Record<string, unknown> } | undefined;
        if (!op) continue;
        expect(op.responses, `${method} ${path}`).to.have.property('429');
        const security = op.security ?? (doc as { security?: Security }).security ?? [];
        const scope = security.flatMap((s) => Object.values(s).flat())[0];
        const url = path.replace(/\{[^}]+\}/g, 'x');
        const send = () => {
          const req = app[method as 'get'](url);
          return scope ? req.set('Authorization', `Bearer ${tokens[scope]}`) : req;
        };
        // The first operation of each budget (a token, or the address) spends it; later ones find it spent.
        let res = await send();
        for (let i = 0; i < 5 && res.status !== 429; i++) res = await send();
        check(method, path, res, 429);
        expect(Number(res.headers['retry-after']), `${method} ${path}`).to.be.at.least(1);
        refused += 1;
      }
    }
    expect(refused).to.be.at.least(80);
  });
});
