import { expect } from 'chai';
import { api, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';
import { admin, expectProblem } from './helpers.js';
import { activeOp } from '../lifecycle/helpers.js';

async function invite(org: TestOrg, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await admin(org).post('/invitations', { email, ...extra }).expect(201)).body.userId as string;
}

async function create(org: TestOrg, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await admin(org).post('/users', { email, ...extra }).expect(201)).body.user.id as string;
}

describe('Admin users (/api/v1/users)', () => {
  describe('list by tab', () => {
    it('puts active and suspended users in Active, invited in Pending, deleted in Recently deleted, with every tab counted', async () => {
      const org = await newOrg();
      const a = await create(org, 'ann@example.com', { name: 'Ann Active' });
      const s = await create(org, 'sam@example.com', { name: 'Sam Suspended' });
      await admin(org).post(`/users/${s}/suspend`).expect(200);
      const p = await invite(org, 'pat@example.com', { name: 'Pat Pending' });
      const d = await create(org, 'dan@example.com', { name: 'Dan Deleted' });
      await admin(org).delete(`/users/${d}`).expect(204);

      const active = await admin(org).get('/users?tab=active&sortBy=name').expect(200);
      expect(active.body.tabs).to.deep.equal({ active: 2, pending: 1, deleted: 1 });
      expect(active.body).to.include({ tab: 'active', total: 2, offset: 0, limit: 50 });
      expect(active.body.items.map((u: { id: string }) => u.id)).to.deep.equal([a, s]);
      expect(active.body.items[1]).to.include({ status: 'suspended', tab: 'active', name: 'Sam Suspended' });

      const pending = await admin(org).get('/users?tab=pending').expect(200);
      expect(pending.body.items.map((u: { id: string }) => u.id)).to.deep.equal([p]);
      expect(pending.body.items[0]).to.include({ status: 'invited', tab: 'pending', email: 'pat@example.com' });
      expect(pending.body.items[0].invitedAt).to.be.a('string');

      const deleted = await admin(org).get('/users?tab=deleted').expect(200);
      expect(deleted.body.items.map((u: { id: string }) => u.id)).to.deep.equal([d]);
      expect(deleted.body.items[0]).to.include({ status: 'deleted', tab: 'deleted', email: 'dan@example.com' });
      expect(deleted.body.items[0].deletedAt).to.be.a('string');
    });

    it('defaults to the Active tab, sorted by creation', async () => {
      const org = await newOrg();
      const first = await create(org, 'z@example.com');
      const second = await create(org, 'a@example.com');
      const res = await admin(org).get('/users').expect(200);
      expect(res.body.tab).to.equal('active');
      expect(res.body.items.map((u: { id: string }) => u.id)).to.deep.equal([first, second]);
    });

    it('searches part of a name or an email in any letter case, literally', async () => {
      const org = await newOrg();
      const ann = await create(org, 'ann.lee@example.com', { name: 'Ann Lee' });
      const bob = await create(org, 'bob@example.com', { name: 'Bob Stone' });
      await org.scim.post('/Users', userBody('carol@example.com', { name: { givenName: 'Carol', familyName: 'Dunne' } })).expect(201);
      const byName = await admin(org).get('/users?search=STONE').expect(200);
      expect(byName.body.items.map((u: { id: string }) => u.id)).to.deep.equal([bob]);
      const byEmail = await admin(org).get('/users?search=ann.lee@').expect(200);
      expect(byEmail.body.items.map((u: { id: string }) => u.id)).to.deep.equal([ann]);
      const byFamilyName = await admin(org).get('/users?search=dunne').expect(200);
      expect(byFamilyName.body.items).to.have.length(1);
      // "." is a literal dot, not "any character": "annXlee" would match an unescaped pattern.
      const dot = await admin(org).get(`/users?search=${encodeURIComponent('n.l')}`).expect(200);
      expect(dot.body.items.map((u: { id: string }) => u.id)).to.deep.equal([ann]);
      const none = await admin(org).get(`/users?search=${encodeURIComponent('.*')}`).expect(200);
      expect(none.body.total).to.equal(0);
      // The tab counts stay unfiltered: they label the tabs.
      expect(none.body.tabs.active).to.equal(3);
    });

    it('searches the Recently deleted tab by the deleted users\' emails', async () => {
      const org = await newOrg();
      const gone = await create(org, 'gone@example.com');
      await admin(org).delete(`/users/${gone}`).expect(204);
      const res = await admin(org).get('/users?tab=deleted&search=gone@').expect(200);
      expect(res.body.items.map((u: { id: string }) => u.id)).to.deep.equal([gone]);
    });

    it('filters by role, direct or granted by a bound group, by key or by name', async () => {
      const org = await newOrg();
      const direct = await create(org, 'direct@example.com', { role: 'admin' });
      const viaGroup = await create(org, 'group@example.com');
      await create(org, 'plain@example.com');
      const group = await org.scim
        .post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Admins', members: [{ value: viaGroup }] })
        .expect(201);
      await api().put('/api/v1/roles/admin/group').set('Authorization', `Bearer ${org.adminToken}`).send({ groupId: group.body.id }).expect(200);
      const admins = await admin(org).get('/users?role=Admin&sortBy=email').expect(200);
      expect(admins.body.items.map((u: { id: string }) => u.id)).to.deep.equal([direct, viaGroup]);
      expect(admins.body.items[0]).to.include({ role: 'admin' });
      const standard = await admin(org).get('/users?role=user').expect(200);
      // The default role is not stored: only users holding `user` directly or through a group match.
      expect(standard.body.total).to.equal(0);
      const unknown = await admin(org).get('/users?role=wizard');
      expectProblem(unknown, 400, 'invalidValue');
      expect(unknown.body.detail).to.match(/^role: /);
    });

    it('sorts descending and pages with offset and limit', async () => {
      const org = await newOrg();
      for (const n of ['b', 'd', 'a', 'c']) await create(org, `${n}@example.com`, { name: n.toUpperCase() });
      const page1 = await admin(org).get('/users?sortBy=name&sortOrder=descending&limit=2').expect(200);
      expect(page1.body.items.map((u: { name: string }) => u.name)).to.deep.equal(['D', 'C']);
      expect(page1.body.total).to.equal(4);
      const page2 = await admin(org).get('/users?sortBy=email&sortOrder=descending&offset=2&limit=2').expect(200);
      expect(page2.body.items.map((u: { email: string }) => u.email)).to.deep.equal(['b@example.com', 'a@example.com']);
    });

    it('answers 400 naming the parameter for a bad tab, sort or page size', async () => {
      const org = await newOrg();
      for (const [query, field] of [
        ['tab=archived', 'tab'],
        ['sortBy=password', 'sortBy'],
        ['limit=201', 'limit'],
        ['offset=-1', 'offset'],
        ['colour=blue', 'body'],
      ] as const) {
        const res = await admin(org).get(`/users?${query}`);
        expectProblem(res, 400, 'invalidValue');
        if (field !== 'body') expect(res.body.detail).to.match(new RegExp(`^${field}: `));
      }
    });

    it('shows another organization nothing', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const id = await create(org, 'mine@example.com');
      const res = await admin(other).get('/users').expect(200);
      expect(res.body.tabs).to.deep.equal({ active: 0, pending: 0, deleted: 0 });
      await admin(other).get(`/users/${id}`).expect(404);
      expectProblem(await admin(other).post(`/users/${id}/suspend`), 404);
    });

    it('needs an admin token', async () => {
      const org = await newOrg();
      expectProblem(await api().get('/api/v1/users'), 401);
      expectProblem(await api().get('/api/v1/users').set('Authorization', `Bearer ${org.scimToken}`), 403);
    });
  });

  describe('create with a temporary password', () => {
    it('creates an active user that must change its password, and returns a generated password once', async () => {
      const org = await newOrg({ domains: ['example.com'], companies: ['Acme'] });
      const res = await admin(org).post('/users', { email: 'new@example.com', name: 'New Person', role: 'admin', company: 'Acme' }).expect(201);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers.location).to.match(new RegExp(`/scim/v2/Users/${res.body.user.id}$`));
      expect(res.body.temporaryPassword).to.be.a('string').with.length.of.at.least(16);
      expect(res.body.user).to.include({ email: 'new@example.com', name: 'New Person', role: 'admin', company: 'Acme', status: 'active', mustChangePassword: true });
      const stored = await h().store.models.User.collection.findOne({ _id: res.body.user.id } as never);
      expect(stored?.passwordHash).to.be.a('string').and.not.include(res.body.temporaryPassword);
      expect(stored?.mustChangePassword).to.equal(true);
      // Shown once: reading the user again never returns it.
      const read = await admin(org).get(`/users/${res.body.user.id}`).expect(200);
      expect(JSON.stringify(read.body)).not.to.include(res.body.temporaryPassword);
      // The SCIM view is the same user.
      const scim = await org.scim.get(`/Users/${res.body.user.id}`).expect(200);
      expect(scim.body.userName).to.equal('new@example.com');
      // Audited, the password redacted.
      const audit = await admin(org).get(`/audit?userId=${res.body.user.id}&action=user.created`).expect(200);
      const changes = audit.body.items[0].changes as { path: string; new: unknown }[];
      expect(changes.find((c) => c.path === 'password')?.new).to.equal('[redacted]');
      expect(changes.find((c) => c.path === 'mustChangePassword')?.new).to.equal(true);
    });

    it('does not echo a temporary password the administrator chose', async () => {
      const org = await newOrg();
      const res = await admin(org).post('/users', { email: 'chosen@example.com', temporaryPassword: 'Temporary-1234' }).expect(201);
      expect(res.body).not.to.have.property('temporaryPassword');
      expect(JSON.stringify(res.body)).not.to.include('Temporary-1234');
    });

    it('applies the domain, seat and uniqueness rules', async () => {
      const org = await newOrg({ domains: ['example.com'], seatLimit: 1 });
      const domain = await admin(org).post('/users', { email: 'x@elsewhere.org' });
      expect(domain.status).to.equal(400);
      await create(org, 'one@example.com');
      const seat = await admin(org).post('/users', { email: 'two@example.com' });
      expectProblem(seat, 403);
      await admin(org).patch('/organization', { seatLimit: 5 }).expect(200);
      expectProblem(await admin(org).post('/users', { email: 'ONE@example.com' }), 409, 'uniqueness');
    });

    it('answers 400 naming the field for a bad body, role or company', async () => {
      const org = await newOrg({ companies: ['Acme'] });
      for (const [body, field] of [
        [{}, 'email'],
        [{ email: 'not-an-email' }, 'email'],
        [{ email: 'a@example.com', temporaryPassword: 'short' }, 'temporaryPassword'],
        [{ email: 'a@example.com', role: 'wizard' }, 'role'],
        [{ email: 'a@example.com', company: 'Initech' }, 'company'],
      ] as const) {
        const res = await admin(org).post('/users', body);
        expectProblem(res, 400, 'invalidValue');
        expect(res.body.detail).to.match(new RegExp(`^${field}: `));
      }
      const extra = await admin(org).post('/users', { email: 'a@example.com', password: 'x' });
      expectProblem(extra, 400, 'invalidValue');
    });
  });

  describe('edit', () => {
    it('changes name, email (and the userName that was the email), role and company, audited', async () => {
      const org = await newOrg({ companies: ['Acme', 'Globex'] });
      const id = await create(org, 'old@example.com', { name: 'Old Name', company: 'Acme' });
      const res = await admin(org)
        .patch(`/users/${id}`, { name: 'New Name', email: 'New@Example.com', role: 'admin', company: 'Globex' })
        .expect(200);
      expect(res.body).to.include({ name: 'New Name', email: 'New@Example.com', userName: 'New@Example.com', role: 'admin', company: 'Globex' });
      const scim = await org.scim.get(`/Users/${id}`).expect(200);
      expect(scim.body.displayName).to.equal('New Name');
      expect(scim.body.emails).to.deep.equal([{ value: 'New@Example.com', type: 'work', primary: true }]);
      // The old email is free, the new one is taken.
      await create(org, 'old@example.com');
      expectProblem(await admin(org).post('/users', { email: 'new@example.com' }), 409, 'uniqueness');
      const audit = await admin(org).get(`/audit?userId=${id}&action=user.updated`).expect(200);
      const paths = (audit.body.items[0].changes as { path: string }[]).map((c) => c.path);
      expect(paths).to.include.members(['displayName', 'userName', 'emails', 'roles']);
    });

    it('keeps a userName that was not the email', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('jdoe', { emails: [{ value: 'jdoe@example.com', primary: true }] })).expect(201);
      const res = await admin(org).patch(`/users/${created.body.id}`, { email: 'john@example.com' }).expect(200);
      expect(res.body).to.include({ userName: 'jdoe', email: 'john@example.com' });
    });

    it('clears name, role and company with null', async () => {
      const org = await newOrg({ companies: ['Acme'] });
      const id = await create(org, 'c@example.com', { name: 'Some One', role: 'admin', company: 'Acme' });
      const res = await admin(org).patch(`/users/${id}`, { name: null, role: null, company: null }).expect(200);
      // With no role of its own, the user has the organization's default role.
      expect(res.body).to.include({ name: null, company: null, role: 'user' });
    });

    it('refuses a taken email, a domain outside the organization, an unknown role and an empty body', async () => {
      const org = await newOrg({ domains: ['example.com'] });
      const id = await create(org, 'a@example.com');
      await create(org, 'b@example.com');
      expectProblem(await admin(org).patch(`/users/${id}`, { email: 'B@example.com' }), 409, 'uniqueness');
      expect((await admin(org).patch(`/users/${id}`, { email: 'a@other.org' })).status).to.equal(400);
      expectProblem(await admin(org).patch(`/users/${id}`, { role: 'wizard' }), 400, 'invalidValue');
      expectProblem(await admin(org).patch(`/users/${id}`, {}), 400, 'invalidValue');
      expectProblem(await admin(org).patch(`/users/${id}`, { status: 'active' }), 400, 'invalidValue');
      expectProblem(await admin(org).patch('/users/no-such-user', { name: 'X' }), 404);
      const read = await admin(org).get(`/users/${id}`).expect(200);
      expect(read.body.email).to.equal('a@example.com');
    });
  });

  describe('suspend and activate', () => {
    it('suspends (seat released, SCIM active false) and activates (seat taken back)', async () => {
      const org = await newOrg({ seatLimit: 1 });
      const id = await create(org, 's@example.com');
      const suspended = await admin(org).post(`/users/${id}/suspend`).expect(200);
      expect(suspended.body).to.include({ status: 'suspended', tab: 'active' });
      expect((await org.scim.get(`/Users/${id}`).expect(200)).body.active).to.equal(false);
      expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(0);
      // Suspending twice is no change.
      const again = await admin(org).post(`/users/${id}/suspend`).expect(200);
      expect(again.body.version).to.equal(suspended.body.version);
      // The freed seat goes to someone else; activating then finds no seat.
      const other = await create(org, 'o@example.com');
      expectProblem(await admin(org).post(`/users/${id}/activate`), 403);
      await admin(org).post(`/users/${other}/suspend`).expect(200);
      const active = await admin(org).post(`/users/${id}/activate`).expect(200);
      expect(active.body.status).to.equal('active');
      const audit = await admin(org).get(`/audit?userId=${id}&action=user.updated`).expect(200);
      expect(audit.body.total).to.equal(2);
    });

    it('brings back a user suspended before accepting its invitation as invited', async () => {
      const org = await newOrg();
      const id = await invite(org, 'inv@example.com');
      await admin(org).post(`/users/${id}/suspend`).expect(200);
      const res = await admin(org).post(`/users/${id}/activate`).expect(200);
      expect(res.body).to.include({ status: 'invited', tab: 'pending' });
    });

    it('leaves an active user as it is, and answers 404 for a deleted one', async () => {
      const org = await newOrg();
      const id = await create(org, 'a@example.com');
      const res = await admin(org).post(`/users/${id}/activate`).expect(200);
      expect(res.body.version).to.equal(1);
      await admin(org).delete(`/users/${id}`).expect(204);
      expectProblem(await admin(org).post(`/users/${id}/activate`), 404);
      expectProblem(await admin(org).post(`/users/${id}/suspend`), 404);
      // The deleted user is still readable from the Recently deleted tab.
      expect((await admin(org).get(`/users/${id}`).expect(200)).body.status).to.equal('deleted');
    });

    it('keeps SCIM and the side API in step: a SCIM suspend shows in the admin view', async () => {
      const org = await newOrg();
      const id = await create(org, 'a@example.com');
      await org.scim.patch(`/Users/${id}`, activeOp(false)).expect(200);
      expect((await admin(org).get(`/users/${id}`).expect(200)).body.status).to.equal('suspended');
    });
  });
});
