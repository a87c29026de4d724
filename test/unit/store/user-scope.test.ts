import { expect } from 'chai';
import { scoped } from '../../../src/store/user.repository.js';

describe('scoped (organization scope of user queries)', () => {
  it('merges the scope into a filter flat when nothing collides', () => {
    expect(scoped('o1', { userNameKey: 'ada' })).to.deep.equal({ userNameKey: 'ada', orgId: 'o1', status: { $ne: 'deleted' } });
    expect(scoped('o1', { $or: [{ a: 1 }, { b: 2 }] })).to.deep.equal({
      $or: [{ a: 1 }, { b: 2 }],
      orgId: 'o1',
      status: { $ne: 'deleted' },
    });
  });

  it('keeps a filter on status and the visibility rule both, under $and, with orgId at the top level (pushed down by FerretDB)', () => {
    expect(scoped('o1', { status: 'deleted' })).to.deep.equal({
      orgId: 'o1',
      $and: [{ status: { $ne: 'deleted' } }, { status: 'deleted' }],
    });
  });

  it('never lets a filter replace the organization scope', () => {
    const q = scoped('o1', { orgId: 'o2' }) as { $and: unknown[] };
    expect(q.$and[0]).to.deep.equal({ orgId: 'o1' });
  });
});
