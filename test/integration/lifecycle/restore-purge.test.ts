import { expect } from 'chai';
import { expectScimError, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';
import { activeOp, admin, expectProblem, LIFECYCLE } from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;

async function storedUser(id: string) {
  return h().store.models.User.collection.findOne({ _id: id as never });
}

async function auditEntries(org: TestOrg, query: string) {
  return (await admin(org).get(`/audit?${query}`).expect(200)).body.items as { action: string; target: { id: string } }[];
}

describe('Lifecycle on the side API: delete, restore, permanent delete and retention', () => {
  afterEach(() => h().clock.reset());

  describe('DELETE /api/v1/users/:id', () => {
    it('moves the user to recently deleted: SCIM answers 404 and its userName is free', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await admin(org).delete(`/users/${u.body.id}`).expect(204);
      expectScimError(await org.scim.get(`/Users/${u.body.id}`), 404);
      expect((await storedUser(u.body.id))?.status).to.equal('deleted');
      await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
    });

    it('answers 404 problem details for an unknown user', async () => {
      const org = await newOrg();
      expectProblem(await admin(org).delete('/users/nope'), 404);
    });
  });

  describe('POST /api/v1/users/:id/restore', () => {
    it('brings a deleted user back with its previous state, visible on SCIM again', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await org.scim.patch(`/Users/${u.body.id}`, activeOp(false)).expect(200);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      const res = await admin(org).post(`/users/${u.body.id}/restore`).expect(200);
      expect(res.body.active).to.equal(false);
      expect(res.body[LIFECYCLE].status).to.equal('suspended');
      const read = await org.scim.get(`/Users/${u.body.id}`).expect(200);
      expect(read.body.userName).to.equal('ada@example.com');
      expect(read.body[LIFECYCLE].status).to.equal('suspended');
      // The keys are back, so the userName is taken again.
      expectScimError(await org.scim.post('/Users', userBody('ADA@example.com')), 409, 'uniqueness');
    });

    it('answers 409 uniqueness when another user took the userName meanwhile', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      await org.scim.post('/Users', userBody('Ada@example.com')).expect(201);
      const res = await admin(org).post(`/users/${u.body.id}/restore`);
      expectProblem(res, 409, 'uniqueness');
      expect(res.body.detail).to.include('ada@example.com');
      expect((await storedUser(u.body.id))?.status).to.equal('deleted');
    });

    it('answers 403 "seat limit reached" when the previous state needs a seat and none is free, and gives none away', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      await org.scim.post('/Users', userBody('grace@example.com')).expect(201);
      const res = await admin(org).post(`/users/${u.body.id}/restore`);
      expectProblem(res, 403);
      expect(res.body.detail).to.equal('seat limit reached: 1 of 1 seats in use');
      expect((await admin(org).get('/seats').expect(200)).body).to.deep.equal({ used: 1, limit: 1 });
    });

    it('restores a suspended user without a seat even when none is free', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const u = await org.scim.post('/Users', userBody('ada@example.com', { active: false })).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      await org.scim.post('/Users', userBody('grace@example.com')).expect(201);
      await admin(org).post(`/users/${u.body.id}/restore`).expect(200);
    });

    it('answers 400 invalidValue naming the domain when the email is no longer on the organization\'s domains', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const u = await org.scim.post('/Users', userBody('ada@acme.com')).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      await h().store.models.Organization.collection.updateOne({ _id: org.id as never }, { $set: { domains: ['acme.org'] } });
      const res = await admin(org).post(`/users/${u.body.id}/restore`);
      expectProblem(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('"acme.com"');
    });

    it('answers 409 for a user that is not deleted and 404 for an unknown one', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      expectProblem(await admin(org).post(`/users/${u.body.id}/restore`), 409);
      expectProblem(await admin(org).post('/users/nope/restore'), 404);
    });

    it('answers 404 for another organization\'s deleted user', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const u = await other.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await other.scim.delete(`/Users/${u.body.id}`).expect(204);
      expectProblem(await admin(org).post(`/users/${u.body.id}/restore`), 404);
    });
  });

  describe('DELETE /api/v1/users/:id/permanent', () => {
    it('removes a deleted user\'s document for good and keeps its audit trail', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await admin(org).delete(`/users/${u.body.id}`).expect(204);
      await admin(org).delete(`/users/${u.body.id}/permanent`).expect(204);
      expect(await storedUser(u.body.id)).to.equal(null);
      expectProblem(await admin(org).post(`/users/${u.body.id}/restore`), 404);
      const actions = (await auditEntries(org, `userId=${u.body.id}`)).map((e) => e.action);
      expect(actions).to.deep.equal(['user.permanently_deleted', 'user.deleted', 'user.created']);
    });

    it('answers 409 for a user that is not deleted, and keeps it', async () => {
      const org = await newOrg();
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      expectProblem(await admin(org).delete(`/users/${u.body.id}/permanent`), 409);
      await org.scim.get(`/Users/${u.body.id}`).expect(200);
    });
  });

  describe('retention (purgeExpired)', () => {
    it('purges a user deleted more than retentionDays ago, never earlier, and records user.purged', async () => {
      const org = await newOrg({ retentionDays: 2 });
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);

      h().clock.advance(2 * DAY - 60_000);
      await h().services.users.purgeExpired(h().clock.now());
      expect((await storedUser(u.body.id))?.status).to.equal('deleted');

      h().clock.advance(2 * 60_000);
      await h().services.users.purgeExpired(h().clock.now());
      expect(await storedUser(u.body.id)).to.equal(null);
      const purged = await auditEntries(org, `userId=${u.body.id}&action=user.purged`);
      expect(purged).to.have.length(1);
    });

    it('purges each user once when several purges run at the same time', async () => {
      const org = await newOrg({ retentionDays: 1 });
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const u = await org.scim.post('/Users', userBody(`p${n}@example.com`)).expect(201);
        await org.scim.delete(`/Users/${u.body.id}`).expect(204);
        ids.push(u.body.id);
      }
      h().clock.advance(DAY + 60_000);
      const now = h().clock.now();
      await Promise.all(Array.from({ length: 5 }, () => h().services.users.purgeExpired(now)));
      for (const id of ids) expect(await storedUser(id)).to.equal(null);
      const purged = await auditEntries(org, 'action=user.purged');
      expect(purged.map((e) => e.target.id).sort()).to.deep.equal([...ids].sort());
    });

    it('never purges a user that was restored before its retention ended', async () => {
      const org = await newOrg({ retentionDays: 1 });
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      await org.scim.delete(`/Users/${u.body.id}`).expect(204);
      await admin(org).post(`/users/${u.body.id}/restore`).expect(200);
      h().clock.advance(DAY + 60_000);
      await h().services.users.purgeExpired(h().clock.now());
      await org.scim.get(`/Users/${u.body.id}`).expect(200);
    });

    it('applies each organization\'s own retention in one pass over all organizations', async () => {
      const short = await newOrg({ retentionDays: 1 });
      const long = await newOrg({ retentionDays: 3 });
      const a = await short.scim.post('/Users', userBody('a@example.com')).expect(201);
      const b = await long.scim.post('/Users', userBody('b@example.com')).expect(201);
      await short.scim.delete(`/Users/${a.body.id}`).expect(204);
      await long.scim.delete(`/Users/${b.body.id}`).expect(204);
      h().clock.advance(2 * DAY);
      await h().services.users.purgeExpired(h().clock.now());
      expect(await storedUser(a.body.id)).to.equal(null);
      expect((await storedUser(b.body.id))?.status).to.equal('deleted');
      h().clock.advance(DAY + 60_000);
      await h().services.users.purgeExpired(h().clock.now());
      expect(await storedUser(b.body.id)).to.equal(null);
      expect(await auditEntries(long, 'action=user.purged')).to.have.length(1);
    });

    it('leaves users who are not deleted alone', async () => {
      const org = await newOrg({ retentionDays: 1 });
      const u = await org.scim.post('/Users', userBody('ada@example.com')).expect(201);
      h().clock.advance(10 * DAY);
      await h().services.users.purgeExpired(h().clock.now());
      await org.scim.get(`/Users/${u.body.id}`).expect(200);
    });
  });
});
