import { expect } from 'chai';
import { api, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

async function user(org: TestOrg, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await org.scim.post('/Users', userBody(`${name}@example.com`, extra)).expect(201)).body.id as string;
}
async function group(org: TestOrg, displayName: string, members: string[] = []): Promise<string> {
  return (await org.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) }).expect(201)).body.id as string;
}
async function roles(org: TestOrg, id: string): Promise<string[]> {
  return ((await org.scim.get(`/Users/${id}`).expect(200)).body.roles as { value: string }[]).map((r) => r.value);
}
async function filterIds(org: TestOrg, filter: string): Promise<string[]> {
  const res = await org.scim.get(`/Users?filter=${encodeURIComponent(filter)}`).expect(200);
  return (res.body.Resources as { id: string }[]).map((u) => u.id).sort();
}
const admin = (org: TestOrg) => ({
  put: (path: string, body: unknown) => api().put(path).set('Authorization', `Bearer ${org.adminToken}`).send(body as object),
  delete: (path: string) => api().delete(path).set('Authorization', `Bearer ${org.adminToken}`),
});

describe('Roles through groups (docs/behaviour.md "Roles and groups")', () => {
  it('a user with no role has the default role, with value = key and display = name', async () => {
    const org = await newOrg();
    const ada = await user(org, 'ada');
    const read = await org.scim.get(`/Users/${ada}`).expect(200);
    expect(read.body.roles).to.deep.equal([{ value: 'user', display: 'Standard user' }]);
  });

  it('a group named like a role (any case) is bound at creation; members get the role, leaving removes it', async () => {
    const org = await newOrg();
    const ada = await user(org, 'ada');
    const gid = await group(org, 'ADMIN', [ada]);
    expect(await roles(org, ada)).to.deep.equal(['admin']);
    const read = await org.scim.get(`/Users/${ada}`).expect(200);
    expect(read.body.groups).to.deep.equal([{ value: gid, $ref: `https://roster.test/scim/v2/Groups/${gid}`, display: 'ADMIN', type: 'direct' }]);
    expect(await filterIds(org, 'roles.value eq "admin"')).to.deep.equal([ada]);
    expect(await filterIds(org, `groups.value eq "${gid}"`)).to.deep.equal([ada]);
    await org.scim.patch(`/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${ada}"]` }] }).expect(204);
    expect(await roles(org, ada)).to.deep.equal(['user']);
    expect(await filterIds(org, 'roles.value eq "admin"')).to.deep.equal([]);
  });

  it('single mode: the highest precedence wins over a direct role; multiple mode: both', async () => {
    for (const roleMode of ['single', 'multiple'] as const) {
      const org = await newOrg({ roleMode });
      const ada = await user(org, 'ada', { roles: [{ value: 'user' }] });
      const gid = await group(org, 'Ops', [ada]);
      expect(await roles(org, ada)).to.deep.equal(['user']);
      await admin(org).put('/api/v1/roles/admin/group', { groupId: gid }).expect(200);
      expect(await roles(org, ada)).to.deep.equal(roleMode === 'single' ? ['admin'] : ['admin', 'user']);
      // Direct roles stay writable and filterable (Entra ID app roles).
      expect(await filterIds(org, 'roles.value eq "user"')).to.deep.equal([ada]);
      await admin(org).delete('/api/v1/roles/admin/group').expect(204);
      expect(await roles(org, ada)).to.deep.equal(['user']);
    }
  });

  it('deleting a bound group removes the role it granted', async () => {
    const org = await newOrg();
    const ada = await user(org, 'ada');
    const gid = await group(org, 'Admin', [ada]);
    await org.scim.delete(`/Groups/${gid}`).expect(204);
    expect(await roles(org, ada)).to.deep.equal(['user']);
  });

  it('a deleted user leaves its groups; restoring brings it back; a permanent delete removes its memberships', async () => {
    const org = await newOrg();
    const ada = await user(org, 'ada');
    const gid = await group(org, 'Admin', [ada]);
    await org.scim.delete(`/Users/${ada}`).expect(204);
    let read = await org.scim.get(`/Groups/${gid}`).expect(200);
    expect(read.body).to.not.have.property('members');
    expect((await org.scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${ada}"`)}`).expect(200)).body.totalResults).to.equal(0);
    await api().post(`/api/v1/users/${ada}/restore`).set('Authorization', `Bearer ${org.adminToken}`).expect(200);
    read = await org.scim.get(`/Groups/${gid}`).expect(200);
    expect(read.body.members.map((m: { value: string }) => m.value)).to.deep.equal([ada]);
    expect(await roles(org, ada)).to.deep.equal(['admin']);
    await org.scim.delete(`/Users/${ada}`).expect(204);
    await api().delete(`/api/v1/users/${ada}/permanent`).set('Authorization', `Bearer ${org.adminToken}`).expect(204);
    expect(await h().store.models.Membership.collection.countDocuments({ userId: ada })).to.equal(0);
  });
});
