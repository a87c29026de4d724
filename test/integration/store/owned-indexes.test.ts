import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { connectStore } from '../../../src/store/connection.js';
import { EQUALITY_KEYS } from '../../../src/store/ferretdb-postgresql-indexes.js';
import { h, newOrg, userBody } from '../../support/harness.js';

/** The plan of a find, as the engine tells it. */
async function plan(collection: string, filter: Record<string, unknown>): Promise<string> {
  const db = h().store.connection.db!;
  return JSON.stringify(await db.collection(collection).find(filter).explain());
}

/**
 * On FerretDB over PostgreSQL the plan is PostgreSQL's: the lookup must be a Bitmap Index Scan on
 * the GIN index Roster owns for `field`, never a Seq Scan. On MongoDB the models' indexes serve it.
 */
function expectIndexed(p: string, field: string, what: string): void {
  if (p.includes('"Node Type"')) {
    expect(p, what).to.include('"filterPushdown":true');
    // The planner picks among Roster's indexes by its statistics (orgId or the more selective key).
    expect(p, what).to.match(/"Node Type":"Bitmap Index Scan"/);
    expect(p, what).to.match(/"Index Name":"[a-z0-9_]+_rg_[A-Za-z_]+"/);
    expect(p, what).to.match(new RegExp(`_rg_(${field}|orgId)"`));
    expect(p, what).to.not.include('Seq Scan');
  } else {
    expect(p, what).to.match(/IXSCAN|IDHACK|EXPRESS/);
    expect(p, what).to.not.match(/COLLSCAN/);
  }
}

describe('Indexes Roster owns on the embedded engine', () => {
  it('serves the identity providers\' and the sign-in lookups from an index (EXPLAIN), never a sequential scan', async () => {
    const org = await newOrg();
    const created = await org.scim.post('/Users', userBody('grace@example.com', { externalId: 'ext-grace' })).expect(201);
    const id = created.body.id as string;
    const group = await org.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ops' }).expect(201);
    const groupId = group.body.id as string;
    const visible = { status: { $ne: 'deleted' } };
    const lookups: [string, Record<string, unknown>, string, string][] = [
      ['users', { userNameKey: 'grace@example.com', orgId: org.id, ...visible }, 'userNameKey', 'userName eq'],
      ['users', { userNameKey: 'nobody@example.com', orgId: org.id, ...visible }, 'userNameKey', 'unknown userName eq'],
      ['users', { externalId: 'ext-grace', orgId: org.id, ...visible }, 'externalId', 'externalId eq'],
      ['users', { orgId: org.id, emailKey: 'grace@example.com', ...visible }, 'emailKey', 'sign-in by email'],
      ['users', { _id: id }, '_id', 'GET /Users/{id}'],
      ['groups', { displayNameKey: 'ops', orgId: org.id }, 'displayNameKey', 'displayName eq'],
      ['groups', { _id: groupId, orgId: org.id }, '_id', 'GET /Groups/{id}'],
      ['memberships', { _id: `${groupId}:${id}` }, '_id', 'member by id'],
      ['memberships', { orgId: org.id, groupId }, 'groupId', 'members of a group'],
      ['memberships', { orgId: org.id, userId: id }, 'userId', 'groups of a user'],
      ['tokens', { _id: 'no-such-token' }, '_id', 'token authentication'],
      ['sessions', { _id: 'no-such-session' }, '_id', 'session check'],
      ['invitation_tokens', { _id: 'no-such-hash' }, '_id', 'invitation link'],
      ['password_resets', { _id: 'no-such-hash' }, '_id', 'reset link'],
      ['jobs', { _id: 'no-such-job' }, '_id', 'import job'],
    ];
    for (const [collection, filter, field, what] of lookups) {
      expectIndexed(await plan(collection, filter), field, `${what} on ${collection}`);
    }
  });

  it('makes its indexes again when a collection is dropped and created again, and creates nothing twice', async function () {
    const postgresUrl = h().embedded?.postgresUrl;
    if (!postgresUrl) {
      // Another engine (MONGODB_URI, mongodb-memory-server, FerretDB on SQLite): no owned indexes at all.
      expect(h().store.ownedIndexes).to.equal(undefined);
      return;
    }
    this.timeout(60_000);
    const store = await connectStore(h().embedded!.uri, { dbName: `roster_idx_${randomBytes(4).toString('hex')}`, postgresUrl });
    try {
      expect(await store.ownedIndexes!.ensure(), 'all made at start').to.equal(0);
      const sessions = store.connection.db!.collection('sessions');
      await sessions.drop();
      // Enough rows that an index beats reading the table.
      await sessions.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: `s${i}`, orgId: 'o' })) as never[]);
      expect(await store.ownedIndexes!.ensure(), 'sessions again').to.equal(EQUALITY_KEYS.sessions!.length);
      expect(await store.ownedIndexes!.ensure()).to.equal(0);
      const p = JSON.stringify(await sessions.find({ _id: 's1' } as never).explain());
      expectIndexed(p, '_id', 'session by id after re-creation');
    } finally {
      await store.connection.db!.dropDatabase();
      await store.close();
    }
  });
});
