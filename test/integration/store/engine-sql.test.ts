import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Collection, Filter } from 'mongodb';
import { scoped, UserRepository, type UserRecord } from '../../../src/store/user.repository.js';
import { MATCH_ALL } from '../../../src/scim/filter.js';
import { h } from '../../support/harness.js';

/**
 * The counts and page keys read in SQL on FerretDB over PostgreSQL (store/ferretdb-postgresql.ts)
 * must answer exactly what the MongoDB queries they replace answer, read here with the driver.
 */
describe('Counts and pages read in SQL answer what the MongoDB queries answer', () => {
  const orgId = `sql-${randomBytes(4).toString('hex')}`;
  let users: Collection<UserRecord>;
  const statuses = ['active', 'active', 'active', 'suspended', 'invited', 'deleted'] as const;

  before(async () => {
    users = h().store.connection.db!.collection('users') as unknown as Collection<UserRecord>;
    const base = Date.UTC(2024, 0, 1);
    const docs = Array.from({ length: 260 }, (_, i) => ({
      // Every third user shares its created with the next one: the order then falls to _id.
      _id: `${randomBytes(6).toString('hex')}-${i}`,
      orgId,
      userName: `u${i}`,
      userNameKey: `u${i}`,
      emailKey: `u${i}@example.com`,
      status: statuses[i % statuses.length]!,
      created: new Date(base + Math.floor(i / 2) * 1000),
      lastModified: new Date(base),
      version: 1,
    })) as unknown as UserRecord[];
    // Another organization's users never count.
    docs.push({ ...docs[0]!, _id: `other-${orgId}`, orgId: `${orgId}-other` } as UserRecord);
    await users.insertMany(docs);
  });

  after(async () => {
    await users.deleteMany({ orgId: { $in: [orgId, `${orgId}-other`] } } as Filter<UserRecord>);
  });

  it('counts the visible users, and the users of some statuses, as countDocuments does', async () => {
    // On the embedded engine these run in SQL; elsewhere the repository's own queries answer.
    expect(h().store.sql !== undefined).to.equal(h().embedded?.engine === 'ferretdb-postgresql');
    const repo = new UserRepository(h().store);
    expect(await repo.count(orgId, MATCH_ALL)).to.equal(await users.countDocuments(scoped(orgId, {})));
    for (const set of [['active', 'suspended'], ['invited'], ['deleted'], ['nobody']]) {
      const expected = await users.countDocuments({ orgId, status: { $in: set } } as Filter<UserRecord>);
      expect(await repo.countAny(orgId, { kind: 'in', field: 'status', values: set }), set.join(',')).to.equal(expected);
    }
  });

  it('lists a page in (created, _id) order, both ways, at any offset, as find().sort().skip().limit() does', async () => {
    const repo = new UserRepository(h().store);
    for (const direction of [1, -1] as const) {
      for (const [skip, limit] of [[0, 100], [100, 100], [200, 100], [7, 13], [500, 10]] as const) {
        const sort = { created: direction, _id: direction };
        const got = (await repo.list(orgId, { filter: MATCH_ALL, sort, skip, limit })).map((u) => u._id);
        const want = (await users.find(scoped(orgId, {})).sort(sort).skip(skip).limit(limit).toArray()).map((u) => u._id);
        expect(got, `direction ${direction}, skip ${skip}, limit ${limit}`).to.deep.equal(want);
      }
    }
  });
  it('finds which addresses users of the organization hold in one query, as an emailKey $in does', async () => {
    const repo = new UserRepository(h().store);
    const keys = ['u0@example.com', 'u5@example.com', 'u259@example.com', 'nobody@example.com', "o'brien@example.com"];
    const want = (await users.find({ orgId, emailKey: { $in: keys } } as Filter<UserRecord>).toArray()).map((u) => u.emailKey);
    expect([...(await repo.takenEmailKeys(orgId, keys))].sort()).to.deep.equal(want.sort());
    expect(await repo.takenEmailKeys(orgId, [])).to.deep.equal(new Set());
    // Scoped to the organization: the other one holds u0's address only.
    expect([...(await repo.takenEmailKeys(`${orgId}-other`, keys))]).to.deep.equal(['u0@example.com']);
  });
});
