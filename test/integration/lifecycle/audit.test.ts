import { expect } from 'chai';
import { api, h, newOrg, PATCH_OP, userBody } from '../../support/harness.js';
import { activeOp, admin, expectProblem, LIFECYCLE, tokenId } from './helpers.js';

interface Entry {
  id: string;
  at: string;
  actor: { type: string; id: string; name: string };
  action: string;
  target: { type: string; id: string; userName?: string };
  changes: { path: string; old: unknown; new: unknown }[];
  requestId: string;
}

function change(entry: Entry | undefined, path: string) {
  const found = entry?.changes.find((c) => c.path === path);
  if (!found) throw new Error(`no change at "${path}" in ${JSON.stringify(entry)}`);
  return { old: found.old, new: found.new };
}

describe('Audit trail (GET /api/v1/audit)', () => {
  afterEach(() => h().clock.reset());

  it('records one entry per change from every path, with attribute paths, old and new values, actor and request id', async () => {
    const org = await newOrg({ retentionDays: 1 });
    const created = await org.scim
      .post('/Users', userBody('ada@example.com', { password: 'S3cret!pass' }))
      .set('X-Request-Id', 'req-create-1')
      .expect(201);
    const id = created.body.id as string;
    await org.scim
      .patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada L' }] })
      .expect(200);
    await org.scim.put(`/Users/${id}`, userBody('ada@example.com', { displayName: 'Ada L', title: 'Countess', password: 'N3w!pass' })).expect(200);
    await org.scim.patch(`/Users/${id}`, activeOp(false)).expect(200);
    await org.scim.delete(`/Users/${id}`).expect(204);
    await admin(org).post(`/users/${id}/restore`).expect(200);
    await admin(org).delete(`/users/${id}`).expect(204);
    h().clock.advance(2 * 24 * 60 * 60 * 1000);
    await h().services.users.purgeExpired(h().clock.now());

    const res = await admin(org).get(`/audit?userId=${id}`).expect(200);
    const items = res.body.items as Entry[];
    expect(res.body.total).to.equal(8);
    expect(items.map((e) => e.action)).to.deep.equal([
      'user.purged',
      'user.deleted',
      'user.restored',
      'user.deleted',
      'user.updated',
      'user.updated',
      'user.updated',
      'user.created',
    ]);
    const [purged, deleted2, restored, deleted1, suspended, put, patched, create] = items;
    expect(JSON.stringify(items)).to.not.include('S3cret!pass').and.not.include('N3w!pass').and.not.include('scrypt');

    expect(create?.actor).to.deep.equal({ type: 'token', id: tokenId(org.scimToken), name: 'scim' });
    expect(create?.target).to.deep.equal({ type: 'User', id, userName: 'ada@example.com' });
    expect(create?.requestId).to.equal('req-create-1');
    expect(change(create, 'userName')).to.deep.equal({ old: null, new: 'ada@example.com' });
    expect(change(create, 'name.givenName')).to.deep.equal({ old: null, new: 'Ada' });
    expect(change(create, 'password')).to.deep.equal({ old: null, new: '[redacted]' });

    expect(patched?.changes).to.deep.equal([{ path: 'displayName', old: null, new: 'Ada L' }]);
    expect(change(put, 'title')).to.deep.equal({ old: null, new: 'Countess' });
    expect(change(put, 'password')).to.deep.equal({ old: '[redacted]', new: '[redacted]' });
    expect(change(suspended, 'active')).to.deep.equal({ old: true, new: false });
    expect(change(suspended, `${LIFECYCLE}:status`)).to.deep.equal({ old: 'active', new: 'suspended' });
    expect(change(deleted1, `${LIFECYCLE}:status`)).to.deep.equal({ old: 'suspended', new: 'deleted' });
    expect(change(restored, `${LIFECYCLE}:status`)).to.deep.equal({ old: 'deleted', new: 'suspended' });
    expect(restored?.actor.id).to.equal(tokenId(org.adminToken));
    expect(change(deleted2, `${LIFECYCLE}:status`)).to.deep.equal({ old: 'suspended', new: 'deleted' });
    expect(purged?.actor.type).to.equal('system');
    expect(purged?.target).to.deep.equal({ type: 'User', id, userName: 'ada@example.com' });
  });

  it('records seats.recounted with the counter before and after', async () => {
    const org = await newOrg({ seatLimit: 3 });
    await org.scim.post('/Users', userBody('a@example.com')).expect(201);
    await h().store.models.Seat.collection.updateOne({ _id: org.id as never }, { $set: { used: 3 } });
    await admin(org).post('/seats/recount').expect(200);
    const items = (await admin(org).get('/audit?action=seats.recounted').expect(200)).body.items as Entry[];
    expect(items).to.have.length(1);
    expect(items[0]?.changes).to.deep.equal([{ path: 'used', old: 3, new: 1 }]);
    expect(items[0]?.actor.id).to.equal(tokenId(org.adminToken));
  });

  it('filters by actor, action and time, and pages newest first', async () => {
    const org = await newOrg();
    const a = await org.scim.post('/Users', userBody('a@example.com')).expect(201);
    h().clock.advance(60_000);
    const middle = h().clock.now().toISOString();
    h().clock.advance(60_000);
    await org.scim.post('/Users', userBody('b@example.com')).expect(201);
    await admin(org).delete(`/users/${a.body.id}`).expect(204);

    const byActor = (await admin(org).get(`/audit?actorId=${tokenId(org.adminToken)}`).expect(200)).body;
    expect(byActor.items.map((e: Entry) => e.action)).to.deep.equal(['user.deleted']);
    const byAction = (await admin(org).get('/audit?action=user.created').expect(200)).body;
    expect(byAction.total).to.equal(2);
    const since = (await admin(org).get(`/audit?since=${encodeURIComponent(middle)}`).expect(200)).body;
    expect(since.total).to.equal(2);
    const until = (await admin(org).get(`/audit?until=${encodeURIComponent(middle)}`).expect(200)).body;
    expect(until.items.map((e: Entry) => e.target.userName)).to.deep.equal(['a@example.com']);
    const page = (await admin(org).get('/audit?offset=1&limit=1').expect(200)).body;
    expect(page).to.include({ total: 3, offset: 1, limit: 1 });
    expect(page.items.map((e: Entry) => e.target.userName)).to.deep.equal(['b@example.com']);
  });

  it('shows an organization only its own entries', async () => {
    const org = await newOrg();
    const other = await newOrg();
    await other.scim.post('/Users', userBody('a@example.com')).expect(201);
    expect((await admin(org).get('/audit').expect(200)).body.total).to.equal(0);
  });

  it('answers 400 problem details for a malformed since, and 403 to a token without the admin scope', async () => {
    const org = await newOrg();
    const bad = await admin(org).get('/audit?since=yesterday');
    expectProblem(bad, 400, 'invalidValue');
    expect(bad.body.detail).to.include('since');
    expectProblem(await api().get('/api/v1/audit').set('Authorization', `Bearer ${org.scimToken}`), 403);
  });
});
