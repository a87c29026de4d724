import { expect } from 'chai';
import { api, ENTERPRISE, expectScimError, h, newOrg, PATCH_OP, userBody, USER_SCHEMA } from '../../support/harness.js';

describe('SCIM /Users', () => {
  describe('POST /Users', () => {
    it('creates a user and answers 201 with Location, ETag and meta', async () => {
      const org = await newOrg();
      const res = await org.scim.post('/Users', userBody('ada@example.com', { externalId: 'ext-1' })).expect(201);
      expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
      expect(res.body.id).to.be.a('string');
      expect(res.body.userName).to.equal('ada@example.com');
      expect(res.body.externalId).to.equal('ext-1');
      expect(res.body.active).to.equal(true);
      expect(res.body.meta.resourceType).to.equal('User');
      expect(res.body.meta.location).to.equal(`https://roster.test/scim/v2/Users/${res.body.id}`);
      expect(res.headers.location).to.equal(res.body.meta.location);
      expect(res.headers.etag).to.equal(res.body.meta.version);
      expect(Date.parse(res.body.meta.created)).to.be.a('number').and.not.NaN;

      const read = await org.scim.get(`/Users/${res.body.id}`).expect(200);
      expect(read.body.userName).to.equal('ada@example.com');
      expect(read.body.emails).to.deep.equal([{ value: 'ada@example.com', type: 'work', primary: true }]);
    });

    it('accepts application/json as the request content type', async () => {
      const org = await newOrg();
      const res = await api()
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(userBody('json@example.com')))
        .expect(201);
      expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
    });

    it('stores the Enterprise User extension and returns it under its URN', async () => {
      const org = await newOrg();
      const created = await org.scim
        .post('/Users', userBody('ent@example.com', {
          schemas: [USER_SCHEMA, ENTERPRISE],
          [ENTERPRISE]: { employeeNumber: '42', department: 'R&D', manager: { value: 'boss-id' } },
        }))
        .expect(201);
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.schemas).to.include(ENTERPRISE);
      expect(read.body[ENTERPRISE].employeeNumber).to.equal('42');
      expect(read.body[ENTERPRISE].department).to.equal('R&D');
      expect(read.body[ENTERPRISE].manager.value).to.equal('boss-id');
    });

    it('never returns the password, which is stored only as a salted hash', async () => {
      const org = await newOrg();
      const res = await org.scim.post('/Users', userBody('pw@example.com', { password: 'S3cret!pass' })).expect(201);
      expect(res.body).to.not.have.property('password');
      const read = await org.scim.get(`/Users/${res.body.id}?attributes=password`).expect(200);
      expect(read.body).to.not.have.property('password');
      const stored = await Promise.resolve().then(() =>
        h().store.models.User.collection.findOne({ _id: res.body.id as never }),
      );
      expect(stored?.passwordHash).to.match(/^scrypt\$/);
      expect(JSON.stringify(stored)).to.not.include('S3cret!pass');
    });

    it('answers 409 uniqueness for a userName taken in another letter case', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('dup@example.com')).expect(201);
      expectScimError(await org.scim.post('/Users', userBody('DUP@example.com')), 409, 'uniqueness');
    });

    it('answers 400 invalidValue when userName is missing', async () => {
      const org = await newOrg();
      const res = await org.scim.post('/Users', { schemas: [USER_SCHEMA], name: { givenName: 'x' } });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('userName');
    });

    it('answers 400 invalidValue naming the attribute when a value has the wrong type', async () => {
      const org = await newOrg();
      const res = await org.scim.post('/Users', userBody('t@example.com', { active: 'maybe' }));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('active');
    });

    it('answers 400 invalidValue for more values in a multi-valued attribute than filters can search', async () => {
      const org = await newOrg();
      const phoneNumbers = Array.from({ length: 11 }, (_, i) => ({ value: `+1555000${i}`, type: 'other' }));
      const res = await org.scim.post('/Users', userBody('many@example.com', { phoneNumbers }));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('phoneNumbers');
      const ten = await org.scim.post('/Users', userBody('ten@example.com', { phoneNumbers: phoneNumbers.slice(0, 10) })).expect(201);
      expect(ten.body.phoneNumbers).to.have.length(10);
    });

    it('answers 400 invalidSyntax for a body that is not JSON', async () => {
      const org = await newOrg();
      const res = await api()
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${org.scimToken}`)
        .set('Content-Type', 'application/scim+json')
        .send('{"userName": ');
      expectScimError(res, 400, 'invalidSyntax');
    });

    it('answers 413 for a body over the size limit', async () => {
      const org = await newOrg();
      const res = await org.scim.post('/Users', userBody('big@example.com', { title: 'x'.repeat(2 * 1024 * 1024) }));
      expectScimError(res, 413);
    });

    it('tolerates JSON nulls, meta and unknown schema URNs in the body', async () => {
      const org = await newOrg();
      const res = await org.scim
        .post('/Users', {
          schemas: [USER_SCHEMA, 'urn:example:unknown:1.0'],
          userName: 'tolerant@example.com',
          displayName: null,
          meta: { resourceType: 'User' },
          'urn:example:unknown:1.0': { x: 1 },
        })
        .expect(201);
      expect(res.body).to.not.have.property('displayName');
    });
  });

  describe('GET /Users', () => {
    it('lists with startIndex and count and an exact totalResults', async () => {
      const org = await newOrg();
      for (const n of [1, 2, 3]) await org.scim.post('/Users', userBody(`list${n}@example.com`)).expect(201);
      const res = await org.scim.get('/Users?startIndex=2&count=1&sortBy=userName').expect(200);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(res.body.totalResults).to.equal(3);
      expect(res.body.startIndex).to.equal(2);
      expect(res.body.itemsPerPage).to.equal(1);
      expect(res.body.Resources.map((u: { userName: string }) => u.userName)).to.deep.equal(['list2@example.com']);
    });

    it('finds a user with filter userName eq in another letter case', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('Find.Me@example.com')).expect(201);
      const res = await org.scim.get(`/Users?filter=${encodeURIComponent('userName eq "find.me@EXAMPLE.com"')}`).expect(200);
      expect(res.body.totalResults).to.equal(1);
      expect(res.body.Resources[0].userName).to.equal('Find.Me@example.com');
    });

    it('filters on externalId and id', async () => {
      const org = await newOrg();
      const a = await org.scim.post('/Users', userBody('a@example.com', { externalId: 'X-1' })).expect(201);
      await org.scim.post('/Users', userBody('b@example.com', { externalId: 'X-2' })).expect(201);
      const byExt = await org.scim.get(`/Users?filter=${encodeURIComponent('externalId eq "X-1"')}`).expect(200);
      expect(byExt.body.Resources.map((u: { id: string }) => u.id)).to.deep.equal([a.body.id]);
      const byId = await org.scim.get(`/Users?filter=${encodeURIComponent(`id eq "${a.body.id}"`)}`).expect(200);
      expect(byId.body.totalResults).to.equal(1);
    });

    it('answers an empty list, not an error, for an unknown userName (the providers\' connection probe)', async () => {
      const org = await newOrg();
      const res = await org.scim.get(`/Users?filter=${encodeURIComponent('userName eq "7f3c1a9e-probe"')}`).expect(200);
      expect(res.body.totalResults).to.equal(0);
      expect(res.body.Resources).to.deep.equal([]);
    });

    it('answers 400 invalidFilter for a filter that does not parse', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
    });

    it('answers 400 invalidValue for a non-numeric count', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.get('/Users?count=ten'), 400, 'invalidValue');
    });
  });

  describe('PUT /Users/:id', () => {
    it('replaces the user, ignoring read-only id, meta and groups in the body', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('put@example.com', { title: 'Engineer' })).expect(201);
      const body = { ...created.body, id: 'other', meta: { version: 'W/"99"' }, groups: [{ value: 'g1' }], displayName: 'Put Me' };
      delete body.title;
      const res = await org.scim.put(`/Users/${created.body.id}`, body).expect(200);
      expect(res.body.id).to.equal(created.body.id);
      expect(res.body.displayName).to.equal('Put Me');
      expect(res.body).to.not.have.property('title');
      expect(res.body.meta.version).to.not.equal(created.body.meta.version);
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.displayName).to.equal('Put Me');
    });

    it('keeps the user active when the PUT body omits active', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('keep@example.com')).expect(201);
      const { active: _omit, ...body } = created.body;
      const res = await org.scim.put(`/Users/${created.body.id}`, body).expect(200);
      expect(res.body.active).to.equal(true);
    });

    it('answers 412 when If-Match does not match the current version, and changes nothing', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('etag@example.com')).expect(201);
      const res = await org.scim
        .put(`/Users/${created.body.id}`, { ...created.body, displayName: 'stale' })
        .set('If-Match', 'W/"999"');
      expectScimError(res, 412);
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body).to.not.have.property('displayName');
    });

    it('applies the change when If-Match names the current version', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('etag2@example.com')).expect(201);
      await org.scim
        .put(`/Users/${created.body.id}`, { ...created.body, displayName: 'fresh' })
        .set('If-Match', created.headers.etag as string)
        .expect(200);
    });

    it('answers 404 for an unknown id', async () => {
      const org = await newOrg();
      expectScimError(await org.scim.put('/Users/nope', userBody('x@example.com')), 404);
    });

    it('answers 409 uniqueness when the new userName belongs to another user, and changes nothing', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('taken@example.com')).expect(201);
      const mine = await org.scim.post('/Users', userBody('mine@example.com')).expect(201);
      expectScimError(await org.scim.put(`/Users/${mine.body.id}`, { ...mine.body, userName: 'TAKEN@example.com' }), 409, 'uniqueness');
      expectScimError(
        await org.scim.patch(`/Users/${mine.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'taken@example.com' }] }),
        409,
        'uniqueness',
      );
      const read = await org.scim.get(`/Users/${mine.body.id}`).expect(200);
      expect(read.body.userName).to.equal('mine@example.com');
    });
  });

  describe('PATCH /Users/:id', () => {
    it('deactivates with the path-less replace that Okta sends, and reactivates', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('okta@example.com')).expect(201);
      const off = await org.scim
        .patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })
        .expect(200);
      expect(off.body.active).to.equal(false);
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.active).to.equal(false);
      const on = await org.scim
        .patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] })
        .expect(200);
      expect(on.body.active).to.equal(true);
    });

    it('adds, replaces and removes attributes by path', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('ops@example.com')).expect(201);
      const res = await org.scim
        .patch(`/Users/${created.body.id}`, {
          schemas: [PATCH_OP],
          Operations: [
            { op: 'add', path: 'title', value: 'CTO' },
            { op: 'replace', path: 'name.givenName', value: 'Grace' },
            { op: 'remove', path: 'emails' },
          ],
        })
        .expect(200);
      expect(res.body.title).to.equal('CTO');
      expect(res.body.name.givenName).to.equal('Grace');
      expect(res.body).to.not.have.property('emails');
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.title).to.equal('CTO');
    });

    it('answers 400 noTarget for a remove without a path', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('nt@example.com')).expect(201);
      expectScimError(
        await org.scim.patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }),
        400,
        'noTarget',
      );
    });

    it('answers 400 invalidPath for an unknown attribute, and applies none of the operations', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('ip@example.com')).expect(201);
      const res = await org.scim.patch(`/Users/${created.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'title', value: 'first' },
          { op: 'replace', path: 'shoeSize', value: 44 },
        ],
      });
      expectScimError(res, 400, 'invalidPath');
      expect(res.body.detail).to.match(/operation 2/);
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body).to.not.have.property('title');
    });

    it('answers 400 mutability for a change to id', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('mut@example.com')).expect(201);
      expectScimError(
        await org.scim.patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'x' }] }),
        400,
        'mutability',
      );
    });

    it('refuses to remove active (400 mutability) and changes nothing; false and true still (de)activate', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('rm-active@example.com')).expect(201);
      for (const operation of [{ op: 'remove', path: 'active' }, { op: 'replace', path: 'active', value: null }, { op: 'replace', value: { active: null } }]) {
        const res = await org.scim.patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [operation] });
        expectScimError(res, 400, 'mutability');
        expect(res.body.detail).to.match(/active cannot be removed/);
      }
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.active).to.equal(true);
      expect(read.body.meta.version).to.equal(created.body.meta.version);
      const off = await org.scim.patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }).expect(200);
      expect(off.body.active).to.equal(false);
    });

    it('answers 400 invalidSyntax for a body without the PatchOp schema', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('syn@example.com')).expect(201);
      expectScimError(await org.scim.patch(`/Users/${created.body.id}`, { Operations: [] }), 400, 'invalidSyntax');
    });

    it('answers 412 for a stale If-Match', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('p412@example.com')).expect(201);
      const res = await org.scim
        .patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] })
        .set('If-Match', 'W/"41"');
      expectScimError(res, 412);
    });

    it('answers 400 naming the fault, not 412, for a malformed operation under a stale If-Match (users and groups)', async () => {
      const org = await newOrg();
      const user = await org.scim.post('/Users', userBody('shape412@example.com')).expect(201);
      const group = await org.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Shape' }).expect(201);
      const malformed: [Record<string, unknown>, string, RegExp][] = [
        [{ op: 'move', path: 'title', value: 'x' }, 'invalidSyntax', /operation 1 \(path "title"\): unknown op "move"/],
        [{ op: 'add', path: 'title' }, 'invalidValue', /operation 1 \(add, path "title"\): a value is required/],
        [{ op: 'replace', value: 'x' }, 'invalidValue', /without a path, the value must be an object/],
        [{ op: 'remove' }, 'noTarget', /remove requires a path/],
        [{ op: 'add', path: 7, value: 'x' }, 'invalidPath', /path must be a string/],
      ];
      for (const target of [`/Users/${user.body.id}`, `/Groups/${group.body.id}`]) {
        for (const [operation, scimType, detail] of malformed) {
          const res = await org.scim
            .patch(target, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'externalId', value: 'fine' }, operation] })
            .set('If-Match', 'W/"41"');
          expectScimError(res, 400, scimType);
          expect(res.body.detail, `${target} ${JSON.stringify(operation)}`).to.match(new RegExp(detail.source.replace('operation 1', 'operation 2')));
        }
      }
      // Nothing was written: the first, well-formed operation did not run either.
      expect((await org.scim.get(`/Users/${user.body.id}`).expect(200)).body.meta.version).to.equal(user.body.meta.version);
      expect((await org.scim.get(`/Groups/${group.body.id}`).expect(200)).body.meta.version).to.equal(group.body.meta.version);
    });

    it('loses no change when PATCH requests race on one user', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('race@example.com')).expect(201);
      const titles = ['a', 'b', 'c', 'd', 'e', 'f'];
      await Promise.all(
        titles.map((t) =>
          org.scim
            .patch(`/Users/${created.body.id}`, {
              schemas: [PATCH_OP],
              Operations: [{ op: 'add', path: 'phoneNumbers', value: [{ value: `+1555000${t}`, type: t }] }],
            })
            .expect(200),
        ),
      );
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.phoneNumbers).to.have.length(titles.length);
      expect(read.body.meta.version).to.equal(`W/"${1 + titles.length}"`);
    });
  });

  describe('DELETE /Users/:id', () => {
    it('answers 204, and the user is gone from SCIM afterwards', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('del@example.com')).expect(201);
      await org.scim.delete(`/Users/${created.body.id}`).expect(204);
      expectScimError(await org.scim.get(`/Users/${created.body.id}`), 404);
      expectScimError(await org.scim.delete(`/Users/${created.body.id}`), 404);
      expectScimError(await org.scim.patch(`/Users/${created.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }), 404);
      const list = await org.scim.get(`/Users?filter=${encodeURIComponent('userName eq "del@example.com"')}`).expect(200);
      expect(list.body.totalResults).to.equal(0);
    });

    it('frees the userName for a new user', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', userBody('reuse@example.com')).expect(201);
      await org.scim.delete(`/Users/${created.body.id}`).expect(204);
      await org.scim.post('/Users', userBody('reuse@example.com')).expect(201);
    });
  });
});
