import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Collection } from 'mongodb';
import { findIn, inOrg } from '../../../src/store/pushdown.js';
import { connectStore } from '../../../src/store/connection.js';
import { h } from '../../support/harness.js';

describe('Lookups shaped for what the engine pushes down (store/pushdown.ts)', () => {
  it('inOrg puts orgId at the top level, and keeps a filter that names orgId itself inside $and', () => {
    expect(inOrg('o1', { status: { $in: ['active'] }, $or: [{ a: 1 }, { b: 2 }] })).to.deep.equal({ status: { $in: ['active'] }, $or: [{ a: 1 }, { b: 2 }], orgId: 'o1' });
    expect(inOrg('o1', { orgId: 'o2' })).to.deep.equal({ $and: [{ orgId: 'o1' }, { orgId: 'o2' }] });
  });

  it('findIn answers the same documents by one $in or by one equality lookup per value, within the organization', async () => {
    const orgId = `pd-${randomBytes(4).toString('hex')}`;
    const other = `${orgId}-other`;
    const coll = h().store.connection.db!.collection('memberships') as unknown as Collection<{ _id: string; orgId: string; groupId: string; userId: string }>;
    const docs = [];
    for (let g = 0; g < 5; g++) for (let u = 0; u < 4; u++) docs.push({ _id: `${orgId}:g${g}:u${u}`, orgId, groupId: `g${g}`, userId: `u${u}` });
    docs.push({ _id: `${other}:g1:u1`, orgId: other, groupId: 'g1', userId: 'u1' });
    await coll.insertMany(docs);
    try {
      const ids = (rows: { _id: string }[]) => rows.map((r) => r._id).sort();
      const values = ['g1', 'g3', 'g3', 'missing'];
      const byIn = await findIn(coll, true, { orgId }, 'groupId', values);
      const byEq = await findIn(coll, false, { orgId }, 'groupId', values);
      expect(ids(byEq)).to.deep.equal(ids(byIn));
      expect(ids(byEq)).to.have.length(8);
      expect(byEq.every((d) => d.orgId === orgId)).to.equal(true);
      expect(await findIn(coll, false, { orgId }, 'groupId', [])).to.deep.equal([]);
    } finally {
      await coll.deleteMany({ orgId: { $in: [orgId, other] } });
    }
  });

  it('tells the engines apart: $in pushed down on MongoDB only, equality on MongoDB and FerretDB over PostgreSQL', async () => {
    const caps = h().store.capabilities;
    const ferretdb = caps.serverName.startsWith('FerretDB');
    expect(caps.inPushdown).to.equal(!ferretdb);
    if (h().embedded?.engine === 'ferretdb-postgresql') {
      expect(caps.equalityPushdown).to.equal(true);
      // Also without being told (a FerretDB over PostgreSQL reached through MONGODB_URI): from its startup warnings.
      const other = await connectStore(h().embedded!.uri, { dbName: h().store.connection.db!.databaseName });
      try {
        expect(other.capabilities.equalityPushdown).to.equal(true);
        expect(other.sql).to.equal(undefined);
      } finally {
        await other.close();
      }
    } else {
      expect(caps.equalityPushdown).to.equal(!ferretdb || h().embedded?.engine !== 'ferretdb-sqlite');
    }
  });
});
