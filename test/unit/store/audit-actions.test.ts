import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { AUDIT_ACTIONS } from '../../../src/store/audit.repository.js';

describe('audit actions', () => {
  it('lists in the OpenAPI document exactly the actions the server records', () => {
    const doc = JSON.parse(readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8')) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    const schema = (doc.paths['/api/v1/audit']?.get?.responses['200'] as {
      content: { 'application/json': { schema: { properties: { items: { items: { properties: { action: { enum: string[] } } } } } } } };
    }).content['application/json'].schema.properties.items.items.properties.action;
    expect(schema.enum).to.deep.equal([...AUDIT_ACTIONS]);
  });
});
