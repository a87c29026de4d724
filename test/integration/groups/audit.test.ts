import { expect } from 'chai';
import { api, newOrg, PATCH_OP, userBody, type TestOrg } from '../../support/harness.js';
import { memberChanges, MAX_AUDITED_MEMBER_IDS } from '../../../src/domain/audit/group-diff.js';
import { tokenId } from '../lifecycle/helpers.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

interface Entry {
  action: string;
  actor: { type: string; id: string; name: string };
  target: { type: string; id: string };
  changes: { path: string; old: unknown; new: unknown }[];
  requestId: string;
}

const adminApi = (org: TestOrg) => ({
  get: (path: string) => api().get(`/api/v1${path}`).set('Authorization', `Bearer ${org.adminToken}`),
  put: (path: string, body: unknown) => api().put(`/api/v1${path}`).set('Authorization', `Bearer ${org.adminToken}`).send(body as object),
  delete: (path: string) => api().delete(`/api/v1${path}`).set('Authorization', `Bearer ${org.adminToken}`),
});

async function only(org: TestOrg, action: string): Promise<Entry> {
  const res = await adminApi(org).get(`/audit?action=${action}`).expect(200);
  expect(res.body.total, `entries for ${action}`).to.equal(1);
  return res.body.items[0] as Entry;
}

describe('Audit of group changes (GET /api/v1/audit)', () => {
  it('records group.created, updated, members_added, members_removed, role_bound, role_unbound and deleted with their values', async () => {
    const org = await newOrg();
    const ada = (await org.scim.post('/Users', userBody('ada@example.com')).expect(201)).body.id as string;
    const bob = (await org.scim.post('/Users', userBody('bob@example.com')).expect(201)).body.id as string;

    const created = await org.scim
      .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'eng-1' })
      .set('X-Request-Id', 'req-group-create')
      .expect(201);
    const gid = created.body.id as string;
    // Okta: add one member by value array, then rename; Entra ID: remove by value array.
    await org.scim
      .patch(`/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: ada }, { value: bob }] }] })
      .expect(204);
    await org.scim.patch(`/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Platform' }] }).expect(204);
    await org.scim.patch(`/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${bob}"]` }] }).expect(204);
    await adminApi(org).put('/roles/admin/group', { groupId: gid }).expect(200);
    await adminApi(org).delete('/roles/admin/group').expect(204);
    await org.scim.delete(`/Groups/${gid}`).expect(204);

    const create = await only(org, 'group.created');
    expect(create.target).to.deep.equal({ type: 'Group', id: gid });
    expect(create.actor).to.deep.equal({ type: 'token', id: tokenId(org.scimToken), name: 'scim' });
    expect(create.requestId).to.equal('req-group-create');
    expect(create.changes).to.deep.equal([
      { path: 'displayName', old: null, new: 'Engineering' },
      { path: 'externalId', old: null, new: 'eng-1' },
    ]);

    const updated = await only(org, 'group.updated');
    expect(updated.target.id).to.equal(gid);
    expect(updated.changes).to.deep.equal([{ path: 'displayName', old: 'Engineering', new: 'Platform' }]);

    const added = await only(org, 'group.members_added');
    expect(added.target).to.deep.equal({ type: 'Group', id: gid });
    expect(added.changes).to.deep.equal([
      { path: 'members', old: null, new: ada },
      { path: 'members', old: null, new: bob },
    ]);

    const removed = await only(org, 'group.members_removed');
    expect(removed.target.id).to.equal(gid);
    expect(removed.changes).to.deep.equal([{ path: 'members', old: bob, new: null }]);

    const bound = await only(org, 'group.role_bound');
    expect(bound.target.id).to.equal(gid);
    expect(bound.actor.id).to.equal(tokenId(org.adminToken));
    expect(bound.changes).to.deep.equal([{ path: 'role', old: null, new: 'admin' }]);

    const unbound = await only(org, 'group.role_unbound');
    expect(unbound.changes).to.deep.equal([{ path: 'role', old: 'admin', new: null }]);

    const deleted = await only(org, 'group.deleted');
    expect(deleted.target.id).to.equal(gid);
    expect(deleted.changes).to.deep.equal([
      { path: 'displayName', old: 'Platform', new: null },
      { path: 'externalId', old: 'eng-1', new: null },
    ]);

    // Everything about the group, newest first.
    const trail = (await adminApi(org).get(`/audit?userId=${gid}`).expect(200)).body.items as Entry[];
    expect(trail.map((e) => e.action)).to.deep.equal([
      'group.deleted',
      'group.role_unbound',
      'group.role_bound',
      'group.members_removed',
      'group.updated',
      'group.members_added',
      'group.created',
    ]);
  });

  it('records a count instead of ids above the bound (a replace-all of a huge group)', () => {
    const ids = Array.from({ length: MAX_AUDITED_MEMBER_IDS + 1 }, (_, i) => `u${i}`);
    expect(memberChanges('removed', ids)).to.deep.equal([{ path: 'members', old: { count: ids.length }, new: null }]);
    expect(memberChanges('added', ids.slice(0, 2))).to.deep.equal([
      { path: 'members', old: null, new: 'u0' },
      { path: 'members', old: null, new: 'u1' },
    ]);
  });
});
