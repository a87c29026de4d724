import { expect } from 'chai';
import { ScimError } from '../../../src/scim/errors.js';
import { DuplicateKeyError } from '../../../src/store/errors.js';
import { MAX_WRITE_ATTEMPTS, RETRY, retryOnConflict, uniquenessError } from '../../../src/domain/write.js';

describe('domain/write: the one retry and uniqueness mapping', () => {
  it('returns the first attempt that lands', async () => {
    let calls = 0;
    const result = await retryOnConflict('User 1', async () => (++calls < 3 ? RETRY : 'done'));
    expect(result).to.equal('done');
    expect(calls).to.equal(3);
  });

  it(`answers 409 after ${MAX_WRITE_ATTEMPTS} lost races, naming the record`, async () => {
    let calls = 0;
    try {
      await retryOnConflict('Group g', async () => {
        calls += 1;
        return RETRY;
      });
      expect.fail('no error');
    } catch (err) {
      expect((err as ScimError).status).to.equal(409);
      expect((err as ScimError).detail).to.equal('Group g is being changed by other requests; try again');
    }
    expect(calls).to.equal(MAX_WRITE_ATTEMPTS);
  });

  const cases: { name: string; index: string; clash: Parameters<typeof uniquenessError>[1]; detail: string }[] = [
    {
      name: 'userName index',
      index: 'org_userName_unique',
      clash: { resource: 'User', userName: 'Ann', email: 'ann@x.test', taken: async () => 'email' },
      detail: 'userName "Ann" is already taken in this organization',
    },
    {
      name: 'email index',
      index: 'users_org_email_unique',
      clash: { resource: 'User', userName: 'Ann', email: 'ann@x.test', taken: async () => undefined },
      detail: 'the sign-in email "ann@x.test" is already used by another user in this organization',
    },
    {
      name: 'unnamed index, looked up',
      index: 'unknown',
      clash: { resource: 'User', userName: 'ann@x.test', email: undefined, taken: async () => 'email' },
      detail: 'the sign-in email "ann@x.test" is already used by another user in this organization',
    },
    {
      name: 'group displayName',
      index: 'org_group_displayName_unique',
      clash: { resource: 'Group', displayName: 'Sales' },
      detail: 'displayName "Sales" is already taken by another group in this organization',
    },
    {
      name: 'group role binding',
      index: 'org_group_role_unique',
      clash: { resource: 'Group', displayName: 'Sales', roleKey: 'admin' },
      detail: 'role "admin" was bound to another group meanwhile; try again',
    },
  ];
  for (const c of cases) {
    it(`maps a clash on the ${c.name} to 409`, async () => {
      const err = (await uniquenessError(new DuplicateKeyError(c.index), c.clash)) as ScimError;
      expect(err).to.be.instanceOf(ScimError);
      expect(err.status).to.equal(409);
      expect(err.detail).to.equal(c.detail);
    });
  }

  it('returns any other error as it is', async () => {
    const other = new Error('boom');
    expect(await uniquenessError(other, { resource: 'Group', displayName: 'x' })).to.equal(other);
  });
});
