import { expect } from 'chai';
import { expectScimError, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

async function user(org: TestOrg, name: string): Promise<string> {
  return (await org.scim.post('/Users', userBody(`${name}@example.com`)).expect(201)).body.id as string;
}

async function group(org: TestOrg, displayName: string, members: string[] = [], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })), ...extra }).expect(201);
  return res.body.id as string;
}

async function memberIds(org: TestOrg, id: string): Promise<string[]> {
  const res = await org.scim.get(`/Groups/${id}`).expect(200);
  return ((res.body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
}

describe('SCIM /Groups', () => {
  describe('POST /Groups', () => {
    it('creates a group with members and answers 201 with Location, ETag and meta', async () => {
      const org = await newOrg();
      const ada = await user(org, 'ada');
      const res = await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'ext-g', members: [{ value: ada }] }).expect(201);
      expect(res.body.displayName).to.equal('Engineering');
      expect(res.body.externalId).to.equal('ext-g');
      expect(res.body.members).to.deep.equal([{ value: ada, $ref: `https://roster.test/scim/v2/Users/${ada}`, type: 'User' }]);
      expect(res.body.meta.resourceType).to.equal('Group');
      expect(res.headers.location).to.equal(`https://roster.test/scim/v2/Groups/${res.body.id}`);
      expect(res.headers.etag).to.equal(res.body.meta.version);
      expect(await memberIds(org, res.body.id)).to.deep.equal([ada]);
    });

    it('creates a group from members: [] (Okta, Entra ID) with no members', async () => {
      const org = await newOrg();
      const id = await group(org, 'Empty', []);
      const read = await org.scim.get(`/Groups/${id}`).expect(200);
      expect(read.body).to.not.have.property('members');
    });

    it('answers 409 uniqueness for a displayName taken in another letter case', async () => {
      const org = await newOrg();
      await group(org, 'Sales');
      expectScimError(await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'SALES' }), 409, 'uniqueness');
    });

    it('answers 400 invalidValue without displayName', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA] }), 400, 'invalidValue');
    });

    it('answers 400 invalidValue naming unknown member ids, and creates nothing', async () => {
      const org = await newOrg();
      const ada = await user(org, 'ada');
      const res = await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'X', members: [{ value: ada }, { value: 'nope-1' }] });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('nope-1').and.not.include(ada);
      const list = await org.scim.get('/Groups').expect(200);
      expect(list.body.totalResults).to.equal(0);
    });

    it('does not accept another organization\'s user as a member', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const stranger = await user(other, 'stranger');
      expectScimError(await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'X', members: [{ value: stranger }] }), 400, 'invalidValue');
    });
  });

  describe('GET /Groups', () => {
    it('filters by displayName in any case, externalId and members.value; sorts; pages by index', async () => {
      const org = await newOrg();
      const ada = await user(org, 'ada');
      const g1 = await group(org, 'Alpha', [ada], { externalId: 'e1' });
      const g2 = await group(org, 'beta');
      const g3 = await group(org, 'Gamma', [ada]);
      const q = (f: string) => org.scim.get(`/Groups?filter=${encodeURIComponent(f)}`).expect(200);
      expect((await q('displayName eq "ALPHA"')).body.Resources.map((g: { id: string }) => g.id)).to.deep.equal([g1]);
      expect((await q('externalId eq "e1"')).body.Resources.map((g: { id: string }) => g.id)).to.deep.equal([g1]);
      const byMember = (await q(`members.value eq "${ada}"`)).body.Resources.map((g: { id: string }) => g.id).sort();
      expect(byMember).to.deep.equal([g1, g3].sort());
      expect((await q(`members[value eq "${ada}"] and displayName sw "g"`)).body.Resources.map((g: { id: string }) => g.id)).to.deep.equal([g3]);
      expect((await q(`not (members.value eq "${ada}")`)).body.Resources.map((g: { id: string }) => g.id)).to.deep.equal([g2]);
      const sorted = await org.scim.get('/Groups?sortBy=displayName&sortOrder=descending&excludedAttributes=members').expect(200);
      expect(sorted.body.Resources.map((g: { displayName: string }) => g.displayName)).to.deep.equal(['Gamma', 'beta', 'Alpha']);
      const page = await org.scim.get('/Groups?sortBy=displayName&startIndex=2&count=1').expect(200);
      expect(page.body).to.include({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
      expect(page.body.Resources[0].displayName).to.equal('beta');
    });

    it('answers 400 invalidFilter for a members comparison other than eq', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.get(`/Groups?filter=${encodeURIComponent('members.value sw "a"')}`), 400, 'invalidFilter');
    });

    it('pages by cursor (RFC 9865) through every group once', async () => {
      const org = await newOrg();
      for (const n of ['a', 'b', 'c', 'd', 'e']) await group(org, `g-${n}`);
      const seen: string[] = [];
      let res = await org.scim.get('/Groups?cursor=&count=2&sortBy=displayName').expect(200);
      for (;;) {
        seen.push(...res.body.Resources.map((g: { displayName: string }) => g.displayName));
        expect(res.body.totalResults).to.equal(5);
        if (!res.body.nextCursor) break;
        res = await org.scim.get(`/Groups?cursor=${encodeURIComponent(res.body.nextCursor)}&count=2&sortBy=displayName`).expect(200);
      }
      expect(seen).to.deep.equal(['g-a', 'g-b', 'g-c', 'g-d', 'g-e']);
    });

    it('POST /Groups/.search takes the same parameters in the body', async () => {
      const org = await newOrg();
      await group(org, 'Searched');
      const res = await org.scim.post('/Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'displayName eq "searched"' }).expect(200);
      expect(res.body.totalResults).to.equal(1);
    });

    it('does not show another organization\'s groups; GET of one is 404', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const id = await group(other, 'Theirs');
      expect((await org.scim.get('/Groups').expect(200)).body.totalResults).to.equal(0);
      expectScimError(await org.scim.get(`/Groups/${id}`), 404);
    });
  });

  describe('PUT /Groups/:id', () => {
    it('replaces displayName and members; If-Match with a stale ETag is 412', async () => {
      const org = await newOrg();
      const [ada, bob] = [await user(org, 'ada'), await user(org, 'bob')];
      const created = await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Old', members: [{ value: ada }] }).expect(201);
      const id = created.body.id as string;
      const res = await org.scim.put(`/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'New', members: [{ value: bob }] }).set('If-Match', created.headers.etag as string).expect(200);
      expect(res.body.displayName).to.equal('New');
      expect(await memberIds(org, id)).to.deep.equal([bob]);
      expectScimError(await org.scim.put(`/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'Again' }).set('If-Match', created.headers.etag as string), 412);
    });

    it('keeps the members when the body has no "members"', async () => {
      const org = await newOrg();
      const ada = await user(org, 'ada');
      const id = await group(org, 'Keep', [ada]);
      await org.scim.put(`/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'Kept' }).expect(200);
      expect(await memberIds(org, id)).to.deep.equal([ada]);
    });

    it('answers 409 uniqueness when renaming onto another group\'s name', async () => {
      const org = await newOrg();
      await group(org, 'One');
      const two = await group(org, 'Two');
      expectScimError(await org.scim.put(`/Groups/${two}`, { schemas: [GROUP_SCHEMA], displayName: 'one' }), 409, 'uniqueness');
    });
  });

  describe('DELETE /Groups/:id', () => {
    it('answers 204, then 404; its memberships are gone', async () => {
      const org = await newOrg();
      const ada = await user(org, 'ada');
      const id = await group(org, 'Doomed', [ada]);
      await org.scim.delete(`/Groups/${id}`).expect(204);
      expectScimError(await org.scim.get(`/Groups/${id}`), 404);
      expect(await h().store.models.Membership.collection.countDocuments({ groupId: id })).to.equal(0);
      const u = await org.scim.get(`/Users/${ada}`).expect(200);
      expect(u.body).to.not.have.property('groups');
    });
  });

  describe('projection and size', () => {
    it('a group of 3,000 members: excludedAttributes=members returns none and reads no membership; GET returns all', async function () {
      this.timeout(120_000);
      const org = await newOrg();
      const id = await group(org, 'Huge');
      const users = h().store.models.User.collection;
      const now = new Date();
      const ids = Array.from({ length: 3000 }, (_, i) => `bulk-${id}-${i}`);
      await users.insertMany(
        ids.map((u) => ({ _id: u, orgId: org.id, userName: `${u}@x.test`, userNameKey: `${u}@x.test`, emailKey: `${u}@x.test`, active: true, status: 'active', created: now, lastModified: now, version: 1 })) as never[],
      );
      await h().services.groups.memberships.insertRaw(ids.map((u) => ({ _id: `${id}:${u}`, orgId: org.id, groupId: id, userId: u, created: now })));

      const memberships = h().services.groups.memberships as unknown as Record<string, unknown>;
      const calls: string[] = [];
      const spied = ['memberIds', 'ofGroups'] as const;
      const originals = spied.map((name) => memberships[name]);
      spied.forEach((name, i) => {
        memberships[name] = (...args: unknown[]) => {
          calls.push(name);
          return (originals[i] as (...a: unknown[]) => unknown).apply(h().services.groups.memberships, args);
        };
      });
      try {
        const lean = await org.scim.get(`/Groups/${id}?excludedAttributes=members`).expect(200);
        expect(lean.body).to.not.have.property('members');
        const listed = await org.scim.get('/Groups?excludedAttributes=members').expect(200);
        expect(listed.body.Resources[0]).to.not.have.property('members');
        expect(calls).to.deep.equal([]);
      } finally {
        spied.forEach((name, i) => (memberships[name] = originals[i]));
      }
      try {
        const full = await org.scim.get(`/Groups/${id}`).expect(200);
        expect(full.body.members).to.have.length(3000);
        expect(new Set(full.body.members.map((m: { value: string }) => m.value))).to.deep.equal(new Set(ids));
      } finally {
        // On FerretDB 1.x every query but {_id} scans its collection: leave nothing to slow other tests.
        await users.deleteMany({ orgId: org.id });
        await h().store.models.Membership.collection.deleteMany({ orgId: org.id });
      }
    });
  });
});
