import { expect } from 'chai';
import { idFor } from '../../../src/domain/tokens.js';

describe('idFor (ids a retried write finds again)', () => {
  it('gives the same UUID-shaped id (version 8, RFC 9562 variant) for the same name, and another for another', () => {
    const a = idFor('import:job-1:2');
    expect(a).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idFor('import:job-1:2')).to.equal(a);
    expect(idFor('import:job-1:3')).to.not.equal(a);
    expect(idFor('import:job-2:2')).to.not.equal(a);
  });
});
