import { expect } from 'chai';
import { api, expectScimError, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';
import { activeOp, admin, expectProblem } from './helpers.js';
import { SeatService } from '../../../src/domain/seats.js';
import { createRepositories } from '../../../src/store/repositories.js';

async function seats(org: TestOrg): Promise<{ used: number; limit: number | null }> {
  return (await admin(org).get('/seats').expect(200)).body;
}

describe('Seat rule (invited and active users hold a seat)', () => {
  describe('POST /Users', () => {
    it('answers 403 "seat limit reached" past the limit, and creates nothing', async () => {
      const org = await newOrg({ seatLimit: 2 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
      const res = await org.scim.post('/Users', userBody('c@example.com'));
      expectScimError(res, 403);
      expect(res.body).to.not.have.property('scimType');
      expect(res.body.detail).to.equal('seat limit reached: 2 of 2 seats in use');
      const list = await org.scim.get('/Users').expect(200);
      expect(list.body.totalResults).to.equal(2);
      expect(await seats(org)).to.deep.equal({ used: 2, limit: 2 });
    });

    it('creates a suspended user (active false) when every seat is taken: it holds none', async () => {
      const org = await newOrg({ seatLimit: 1 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      const res = await org.scim.post('/Users', userBody('b@example.com', { active: false })).expect(201);
      expect(res.body.active).to.equal(false);
      expect(await seats(org)).to.deep.equal({ used: 1, limit: 1 });
    });

    it('gives the seat back when the user write fails on a duplicate userName', async () => {
      const org = await newOrg({ seatLimit: 2 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      expectScimError(await org.scim.post('/Users', userBody('A@example.com')), 409, 'uniqueness');
      expect((await seats(org)).used).to.equal(1);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
    });

    it('counts seats in an organization without a limit', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
      expect(await seats(org)).to.deep.equal({ used: 2, limit: null });
    });
  });

  describe('PATCH and PUT /Users/:id', () => {
    it('answers 403 to a PATCH activating a suspended user when every seat is taken, and keeps it suspended', async () => {
      const org = await newOrg({ seatLimit: 1 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      const off = await org.scim.post('/Users', userBody('b@example.com', { active: false })).expect(201);
      const res = await org.scim.patch(`/Users/${off.body.id}`, activeOp(true));
      expectScimError(res, 403);
      expect(res.body.detail).to.equal('seat limit reached: 1 of 1 seats in use');
      const read = await org.scim.get(`/Users/${off.body.id}`).expect(200);
      expect(read.body.active).to.equal(false);
    });

    it('answers 403 to a PUT with active true on a suspended user when every seat is taken', async () => {
      const org = await newOrg({ seatLimit: 1 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      const off = await org.scim.post('/Users', userBody('b@example.com', { active: false })).expect(201);
      expectScimError(await org.scim.put(`/Users/${off.body.id}`, userBody('b@example.com', { active: true })), 403);
      const read = await org.scim.get(`/Users/${off.body.id}`).expect(200);
      expect(read.body.active).to.equal(false);
    });

    it('frees the seat on suspension, so another user can be activated', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const a = await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      const b = await org.scim.post('/Users', userBody('b@example.com', { active: false })).expect(201);
      await org.scim.patch(`/Users/${a.body.id}`, activeOp(false)).expect(200);
      expect((await seats(org)).used).to.equal(0);
      const on = await org.scim.patch(`/Users/${b.body.id}`, activeOp(true)).expect(200);
      expect(on.body.active).to.equal(true);
      expect((await seats(org)).used).to.equal(1);
    });

    it('takes no second seat for a PATCH or PUT on a user that already holds one', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const a = await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.patch(`/Users/${a.body.id}`, activeOp(true)).expect(200);
      await org.scim.put(`/Users/${a.body.id}`, userBody('a@example.com', { title: 'Boss' })).expect(200);
      expect((await seats(org)).used).to.equal(1);
    });
  });

  describe('DELETE /Users/:id', () => {
    it('frees the seat of a deleted user', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const a = await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.delete(`/Users/${a.body.id}`).expect(204);
      expect((await seats(org)).used).to.equal(0);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
    });
  });

  describe('concurrency', () => {
    it('gives exactly 10 successes to 100 parallel creations and activations for 10 free seats, and the counter equals a recount', async function () {
      this.timeout(60_000);
      const org = await newOrg({ seatLimit: 10 });
      const suspended = await Promise.all(
        Array.from({ length: 50 }, (_, i) => org.scim.post('/Users', userBody(`off${i}@example.com`, { active: false })).expect(201)),
      );
      const results = await Promise.all([
        ...Array.from({ length: 50 }, (_, i) => org.scim.post('/Users', userBody(`new${i}@example.com`))),
        ...suspended.map((s) => org.scim.patch(`/Users/${s.body.id}`, activeOp(true))),
      ]);
      const ok = results.filter((r) => r.status === 200 || r.status === 201);
      const refused = results.filter((r) => r.status === 403);
      expect(ok).to.have.length(10);
      expect(refused).to.have.length(90);
      for (const r of refused) expectScimError(r, 403);

      const active = await org.scim.get(`/Users?filter=${encodeURIComponent('active eq true')}&count=0`).expect(200);
      expect(active.body.totalResults).to.equal(10);
      expect(await seats(org)).to.deep.equal({ used: 10, limit: 10 });
      const recount = await admin(org).post('/seats/recount').expect(200);
      expect(recount.body).to.deep.equal({ used: 10, limit: 10 });
    });
  });

  describe('GET /api/v1/seats and POST /api/v1/seats/recount', () => {
    it('repairs a counter that drifted from the users, and answers {used, limit}', async () => {
      const org = await newOrg({ seatLimit: 5 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
      await org.scim.post('/Users', userBody('c@example.com', { active: false })).expect(201);
      // A crash between a seat change and its user write leaves the counter too high.
      await h().store.models.Seat.collection.updateOne({ _id: org.id as never }, { $set: { used: 5 } });
      expect(await seats(org)).to.deep.equal({ used: 5, limit: 5 });
      expectScimError(await org.scim.post('/Users', userBody('d@example.com')), 403);

      const res = await admin(org).post('/seats/recount').expect(200);
      expect(res.body).to.deep.equal({ used: 2, limit: 5 });
      expect(await seats(org)).to.deep.equal({ used: 2, limit: 5 });
      await org.scim.post('/Users', userBody('d@example.com')).expect(201);
    });

    it('recounts every organization for start-up, including one without a counter yet', async () => {
      const org = await newOrg({ seatLimit: 5 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await h().store.models.Seat.collection.deleteOne({ _id: org.id as never });
      await h().services.users.recountAllSeats();
      expect(await seats(org)).to.deep.equal({ used: 1, limit: 5 });
    });

    it('answers 403 problem details to a token without the admin scope', async () => {
      const org = await newOrg();
      
      const res = await api().post('/api/v1/seats/recount').set('Authorization', `Bearer ${org.scimToken}`);
      expectProblem(res, 403);
    });
  });
  describe('seats taken for a batch (bulk import)', () => {
    it('takes no more than are free, exactly, when batches ask at once, and gives back the ones no user got', async () => {
      const org = await newOrg({ seatLimit: 5 });
      await org.scim.post('/Users', userBody('a@example.com')).expect(201);
      await org.scim.post('/Users', userBody('b@example.com')).expect(201);
      const service = new SeatService(createRepositories(h().store), h().clock);
      const holds = await Promise.all([1, 2, 3].map(() => service.takeUpTo(org.id, 5, 2)));
      expect(holds.map((x) => x.count).reduce((a, b) => a + b)).to.equal(3);
      expect(await seats(org)).to.deep.equal({ used: 5, limit: 5 });
      expect(holds.some((x) => x.count === 0)).to.equal(true);
      // One seat of a batch went unused: it goes back, the others are kept.
      const two = holds.find((x) => x.count === 2) ?? holds.find((x) => x.count > 0)!;
      await two.giveBack(1);
      for (const other of holds.filter((x) => x !== two)) await other.giveBack(0);
      expect(await seats(org)).to.deep.equal({ used: 4, limit: 5 });
      // Without a limit a batch gets what it asks for.
      const open = await newOrg({ seatLimit: null });
      const hold = await service.takeUpTo(open.id, null, 7);
      expect(hold.count).to.equal(7);
      await hold.giveBack(7);
      expect((await seats(open)).used).to.equal(0);
    });
  });
});
