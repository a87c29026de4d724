import { expect } from 'chai';
import { api, expectScimError, newOrg, PATCH_OP, userBody, type TestOrg } from '../../support/harness.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

async function users(org: TestOrg, n: number, prefix = 'm'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await org.scim.post('/Users', userBody(`${prefix}${i}@example.com`)).expect(201)).body.id as string);
  return ids;
}
async function group(org: TestOrg, displayName: string, members: string[] = []): Promise<string> {
  return (await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) }).expect(201)).body.id as string;
}
async function memberIds(org: TestOrg, id: string): Promise<string[]> {
  return (((await org.scim.get(`/Groups/${id}`).expect(200)).body.members ?? []) as { value: string }[]).map((m) => m.value).sort();
}

describe('PATCH /Groups/:id membership', () => {
  // Okta: https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20#update-a-specific-group-membership
  describe('Okta forms', () => {
    it('adds members with {"op":"add","path":"members","value":[{"value":id,"display":...}]} and answers 204', async () => {
      const org = await newOrg();
      const [a, b] = await users(org, 2);
      const id = await group(org, 'Okta');
      const res = await org.scim.patch(`/Groups/${id}`, patch({ op: 'add', path: 'members', value: [{ value: a, display: 'a' }, { value: b, display: 'b' }] })).expect(204);
      expect(res.headers.etag).to.match(/^W\/"\d+"$/);
      expect(await memberIds(org, id)).to.deep.equal([a!, b!].sort());
    });

    it('removes a member with path members[value eq "id"]', async () => {
      const org = await newOrg();
      const [a, b] = await users(org, 2);
      const id = await group(org, 'Okta', [a!, b!]);
      await org.scim.patch(`/Groups/${id}`, patch({ op: 'remove', path: `members[value eq "${a}"]` })).expect(204);
      expect(await memberIds(org, id)).to.deep.equal([b]);
    });

    it('renames with a pathless replace {id, displayName} in the same request as a membership change', async () => {
      const org = await newOrg();
      const [a] = await users(org, 1);
      const id = await group(org, 'Before');
      await org.scim
        .patch(`/Groups/${id}`, patch({ op: 'replace', value: { id, displayName: 'After' } }, { op: 'add', path: 'members', value: [{ value: a }] }))
        .expect(204);
      const read = await org.scim.get(`/Groups/${id}`).expect(200);
      expect(read.body.displayName).to.equal('After');
      expect(read.body.members.map((m: { value: string }) => m.value)).to.deep.equal([a]);
    });

    it('replaces all members with {"op":"replace","path":"members","value":[...]}', async () => {
      const org = await newOrg();
      const [a, b, c] = await users(org, 3);
      const id = await group(org, 'Okta', [a!, b!]);
      await org.scim.patch(`/Groups/${id}`, patch({ op: 'replace', path: 'members', value: [{ value: b }, { value: c }] })).expect(204);
      expect(await memberIds(org, id)).to.deep.equal([b!, c!].sort());
    });
  });

  // Entra ID: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups#update-group-add-members
  describe('Entra ID forms', () => {
    it('adds with "Add" and removes with a value array on path members ("Remove")', async () => {
      const org = await newOrg();
      const [a, b] = await users(org, 2);
      const id = await group(org, 'Entra');
      await org.scim.patch(`/Groups/${id}`, patch({ op: 'Add', path: 'members', value: [{ value: a }, { value: b }] })).expect(204);
      await org.scim.patch(`/Groups/${id}`, patch({ op: 'Remove', path: 'members', value: [{ value: a }] })).expect(204);
      expect(await memberIds(org, id)).to.deep.equal([b]);
    });

    it('renames with {"op":"Replace","path":"displayName"} and reads with excludedAttributes=members', async () => {
      const org = await newOrg();
      const id = await group(org, 'Old');
      const res = await org.scim.patch(`/Groups/${id}?excludedAttributes=members`, patch({ op: 'Replace', path: 'displayName', value: 'New' })).expect(200);
      expect(res.body.displayName).to.equal('New');
      expect(res.body).to.not.have.property('members');
    });
  });

  it('removes every member with remove path "members" and no value (RFC 7644 3.5.2.2)', async () => {
    const org = await newOrg();
    const [a, b] = await users(org, 2);
    const id = await group(org, 'All', [a!, b!]);
    await org.scim.patch(`/Groups/${id}`, patch({ op: 'remove', path: 'members' })).expect(204);
    expect(await memberIds(org, id)).to.deep.equal([]);
  });

  it('adding a member twice is idempotent', async () => {
    const org = await newOrg();
    const [a] = await users(org, 1);
    const id = await group(org, 'Twice', [a!]);
    await org.scim.patch(`/Groups/${id}`, patch({ op: 'add', path: 'members', value: [{ value: a }] })).expect(204);
    expect(await memberIds(org, id)).to.deep.equal([a]);
  });

  it('answers 400 invalidValue naming unknown ids and applies no operation of the request', async () => {
    const org = await newOrg();
    const [a] = await users(org, 1);
    const id = await group(org, 'Strict');
    const res = await org.scim.patch(
      `/Groups/${id}`,
      patch({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'add', path: 'members', value: [{ value: a }, { value: 'ghost-7' }] }),
    );
    expectScimError(res, 400, 'invalidValue');
    expect(res.body.detail).to.include('ghost-7');
    const read = await org.scim.get(`/Groups/${id}`).expect(200);
    expect(read.body.displayName).to.equal('Strict');
    expect(read.body).to.not.have.property('members');
  });

  it('answers 400 naming the operation for an unsupported member path', async () => {
    const org = await newOrg();
    const id = await group(org, 'P');
    const res = await org.scim.patch(`/Groups/${id}`, patch({ op: 'replace', path: 'displayName', value: 'x' }, { op: 'replace', path: 'members[value eq "a"].display', value: 'x' }));
    expectScimError(res, 400, 'invalidPath');
    expect(res.body.detail).to.include('operation 2');
  });

  it('loses none of 50 concurrent PATCH requests adding and removing different members', async function () {
    this.timeout(120_000);
    const org = await newOrg();
    const keep = await users(org, 25, 'keep');
    const drop = await users(org, 25, 'drop');
    const id = await group(org, 'Busy', drop);
    const auth = `Bearer ${org.scimToken}`;
    const send = (op: string, user: string) =>
      api()
        .patch(`/scim/v2/Groups/${id}`)
        .set('Authorization', auth)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(op === 'add' ? patch({ op: 'add', path: 'members', value: [{ value: user }] }) : patch({ op: 'remove', path: `members[value eq "${user}"]` })));
    const results = await Promise.all([...keep.map((u) => send('add', u)), ...drop.map((u) => send('remove', u))]);
    expect(results.map((r) => r.status)).to.deep.equal(Array(50).fill(204));
    expect(await memberIds(org, id)).to.deep.equal([...keep].sort());
  });
});
