import { expect } from 'chai';
import { filterToMongo } from '../../../src/store/filter-query.js';
import { scoped } from '../../../src/store/user.repository.js';
import { h, newOrg, userBody } from '../../support/harness.js';
import { withFiller } from '../../support/filler.js';

type Keys = Record<string, number>;

/** Fields an index can seek on for this query: top-level equality or an anchored prefix regex. */
function seekableFields(query: Record<string, unknown>): Set<string> {
  const fields = new Set<string>();
  for (const [field, condition] of Object.entries(query)) {
    if (field.startsWith('$')) continue;
    const isOperatorObject = condition !== null && typeof condition === 'object' && !(condition instanceof Date);
    if (!isOperatorObject) fields.add(field);
    else {
      const regex = (condition as { $regex?: unknown }).$regex;
      if (typeof regex === 'string' && regex.startsWith('^')) fields.add(field);
    }
  }
  return fields;
}

const LOOKUPS: [string, string, Keys][] = [
  ['userName eq "ada@example.com"', 'org_userName_unique', { orgId: 1, userNameKey: 1 }],
  ['externalId eq "ext-1"', 'org_externalId', { orgId: 1, externalId: 1 }],
  ['emails.value eq "ada@example.com"', 'org_emails', { orgId: 1, 'emails.valueKey': 1 }],
  ['displayName sw "Ad"', 'org_displayName', { orgId: 1, displayNameKey: 1 }],
];

describe('Indexes for the identity providers\' lookups', () => {
  for (const [filter, name, keys] of LOOKUPS) {
    it(`serves ${filter} from index ${name}: the query seeks on every key of the index`, async () => {
      const indexes = (await h().store.models.User.collection.indexes()) as { name: string; key: Keys }[];
      const index = indexes.find((i) => i.name === name);
      expect(index, `index ${name}`).to.not.equal(undefined);
      expect(index?.key).to.deep.equal(keys);
      const query = scoped('org-1', filterToMongo(filter, 'User'));
      const seekable = seekableFields(query as Record<string, unknown>);
      for (const field of Object.keys(keys)) expect(seekable, `${filter} must seek on ${field}`).to.include(field);
    });
  }

  it('has the database plan the userName and externalId lookups on an index where the engine plans with indexes', async function () {
    this.timeout(60_000);
    const org = await newOrg();
    await org.scim.post('/Users', userBody('ada@example.com', { externalId: 'ext-1' })).expect(201);
    for (const filter of ['userName eq "ada@example.com"', 'externalId eq "ext-1"']) {
      const query = scoped(org.id, filterToMongo(filter, 'User'));
      // Users of another organization first, so that reading the table costs what it does in a real directory.
      const plan = await withFiller(async () => JSON.stringify(await h().store.models.User.collection.find(query as Record<string, unknown>).explain()));
      if (plan.includes('"ferretdbVersion":"v1.') && plan.includes('"Node Type"')) {
        // FerretDB 1.x on PostgreSQL pushes the equality down and answers PostgreSQL's own plan:
        // it must read the GIN index Roster owns (store/ferretdb-postgresql.ts), not the table.
        expect(plan, filter).to.include('"filterPushdown":true');
        expect(plan, filter).to.match(/"Index Name":"[a-z0-9_]+_rg_(userNameKey|externalId|orgId)"/);
        expect(plan, filter).to.not.include('Seq Scan');
      } else if (plan.includes('"ferretdbVersion":"v1.')) {
        // FerretDB 1.x on SQLite pushes no filter but {_id} down and scans in Go; its plan says so.
        expect(plan).to.include('"filterPushdown":false');
      } else {
        expect(plan, filter).to.match(/IXSCAN/);
        expect(plan, filter).to.not.match(/COLLSCAN/);
      }
    }
  });
});
