import { expect } from 'chai';
import supertest from 'supertest';
import { api, appWith, expectScimError, h, newOrg, PATCH_OP, userBody } from '../../support/harness.js';

const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RT = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

describe('SCIM to the letter (issue 17)', () => {
  describe('405 for a method a served path does not serve (RFC 7644 3.12, section 4)', () => {
    const discovery: [string, string][] = [
      ['post', '/scim/v2/ServiceProviderConfig'],
      ['put', '/scim/v2/ServiceProviderConfig'],
      ['patch', '/scim/v2/ServiceProviderConfig'],
      ['delete', '/scim/v2/ServiceProviderConfig'],
      ['post', '/scim/v2/ResourceTypes'],
      ['delete', '/scim/v2/ResourceTypes/User'],
      ['put', '/scim/v2/Schemas'],
      ['patch', '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User'],
      ['trace', '/scim/v2/Schemas'],
    ];
    for (const [method, path] of discovery) {
      it(`${method.toUpperCase()} ${path} answers 405 with Allow: GET, HEAD`, async () => {
        const res = await (api() as unknown as Record<string, (p: string) => supertest.Test>)[method]!(path);
        expectScimError(res, 405);
        expect(res.headers.allow).to.equal('GET, HEAD');
      });
    }

    it('resource, .search and /Bulk paths answer 405 with what they serve', async () => {
      const org = await newOrg();
      const id = (await org.scim.post('/Users', userBody('ada@example.com')).expect(201)).body.id as string;
      const auth = { Authorization: `Bearer ${org.scimToken}` };
      const cases: [string, string, string][] = [
        ['delete', '/scim/v2/Users', 'GET, HEAD, POST'],
        ['put', '/scim/v2/Groups', 'GET, HEAD, POST'],
        ['post', `/scim/v2/Users/${id}`, 'GET, HEAD, PUT, PATCH, DELETE'],
        ['get', '/scim/v2/Users/.search', 'POST'],
        ['get', '/scim/v2/.search', 'POST'],
        ['get', '/scim/v2/Bulk', 'POST'],
        ['trace', '/scim/v2/Users', 'GET, HEAD, POST'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await (api() as unknown as Record<string, (p: string) => supertest.Test>)[method]!(path).set(auth);
        expectScimError(res, 405);
        expect(res.headers.allow, `${method} ${path}`).to.equal(allow);
      }
      // The method table is the protocol's own, answered before authentication; served methods still need a token.
      expectScimError(await api().delete('/scim/v2/Users'), 405);
      expectScimError(await api().get('/scim/v2/Users'), 401);
      // OPTIONS tells what a path serves (RFC 9110 9.3.7).
      const options = await api().options('/scim/v2/Users').expect(204);
      expect(options.headers.allow).to.equal('GET, HEAD, POST, OPTIONS');
      // An unserved path stays 404.
      expectScimError(await api().get('/scim/v2/Nothing').set(auth), 404);
    });
  });

  describe('paths with a doubled or trailing slash (a base URL entered with a trailing slash)', () => {
    it('//Users, /Users/ and //ServiceProviderConfig are served', async () => {
      const org = await newOrg();
      const auth = { Authorization: `Bearer ${org.scimToken}` };
      const created = await api()
        .post('/scim/v2//Users')
        .set(auth)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(userBody('slash@example.com')))
        .expect(201);
      const list = await api().get('/scim/v2//Users?filter=userName%20eq%20%22slash@example.com%22').set(auth).expect(200);
      expect(list.body.totalResults).to.equal(1);
      await api().get(`/scim/v2//Users//${created.body.id}`).set(auth).expect(200);
      await api().get('/scim/v2/Users/').set(auth).expect(200);
      await api().get('/scim/v2//ServiceProviderConfig').expect(200);
      // Entra ID's aadOptscim062020 flag rides on every request as a query parameter (docs/entra-id.md).
      const flagged = await api().get('/scim/v2//Users?aadOptscim062020&filter=userName%20eq%20%22slash@example.com%22').set(auth).expect(200);
      expect(flagged.body.totalResults).to.equal(1);
      await api()
        .patch(`/scim/v2/Users/${created.body.id}?aadOptscim062020`)
        .set(auth)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { displayName: 'Flagged', 'name.givenName': 'Flag' } }] }))
        .expect(200);
      // The query string is left as it is: a filter value with "//" still matches exactly.
      const none = await api().get('/scim/v2//Users?filter=userName%20eq%20%22a//b%22').set(auth).expect(200);
      expect(none.body.totalResults).to.equal(0);
    });
  });

  describe('/Schemas describes the discovery schemas themselves (RFC 7643 section 7, 8.7.2)', () => {
    it('lists the ServiceProviderConfig, ResourceType and Schema schemas, each by id', async () => {
      const res = await api().get('/scim/v2/Schemas').expect(200);
      const ids = (res.body.Resources as { id: string }[]).map((s) => s.id);
      expect(ids).to.include.members([SPC, RT, SCHEMA]);
      expect(res.body.totalResults).to.equal(ids.length);
      const schema = await api().get(`/scim/v2/Schemas/${SCHEMA}`).expect(200);
      const attributes = schema.body.attributes.find((a: { name: string }) => a.name === 'attributes');
      expect(attributes.multiValued).to.equal(true);
      const subNames = (attributes.subAttributes as { name: string }[]).map((a) => a.name);
      expect(subNames).to.include.members([
        'name', 'type', 'multiValued', 'description', 'required', 'canonicalValues', 'caseExact', 'mutability', 'returned', 'uniqueness', 'referenceTypes', 'subAttributes',
      ]);
      const spc = await api().get(`/scim/v2/Schemas/${SPC}`).expect(200);
      expect((spc.body.attributes as { name: string }[]).map((a) => a.name)).to.include.members([
        'documentationUri', 'patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag', 'authenticationSchemes',
      ]);
      const rt = await api().get(`/scim/v2/Schemas/${RT}`).expect(200);
      const ext = rt.body.attributes.find((a: { name: string }) => a.name === 'schemaExtensions');
      expect((ext.subAttributes as { name: string }[]).map((a) => a.name)).to.deep.equal(['schema', 'required']);
      for (const s of [schema, spc, rt]) expect(s.body.schemas).to.deep.equal([SCHEMA]);
    });
  });

  describe('/ServiceProviderConfig describes what is served', () => {
    it('advertises the configured default and maximum page sizes, and lists honour them', async () => {
      const app = appWith({ ROSTER_DEFAULT_PAGE_SIZE: 3, ROSTER_MAX_PAGE_SIZE: 5 });
      const spc = await supertest(app).get('/scim/v2/ServiceProviderConfig').expect(200);
      expect(spc.body.pagination.defaultPageSize).to.equal(3);
      expect(spc.body.pagination.maxPageSize).to.equal(5);
      expect(spc.body.filter.maxResults).to.equal(5);
      const org = await newOrg();
      for (const n of [1, 2, 3, 4, 5, 6]) await org.scim.post('/Users', userBody(`p${n}@example.com`)).expect(201);
      const auth = { Authorization: `Bearer ${org.scimToken}` };
      const page = await supertest(app).get('/scim/v2/Users').set(auth).expect(200);
      expect(page.body.itemsPerPage).to.equal(3);
      const capped = await supertest(app).get('/scim/v2/Users?count=100').set(auth).expect(200);
      expect(capped.body.itemsPerPage).to.equal(5);
    });
  });

  describe('booleans round-trip on every multi-valued attribute (RFC 7644 3.5.1, 3.5.2)', () => {
    const multi = (primary: boolean) => ({
      emails: [{ value: 'rt@example.com', type: 'work', primary }],
      phoneNumbers: [{ value: '+1 555 0100', type: 'work', primary }],
      ims: [{ value: 'rt', type: 'xmpp', primary }],
      photos: [{ value: 'https://example.com/rt.png', type: 'photo', primary }],
      entitlements: [{ value: 'reports', primary }],
      roles: [{ value: 'no-such-role', type: 'app', primary }],
      x509Certificates: [{ value: 'MIIB', primary }],
      addresses: [{ locality: 'Paris', type: 'work', primary }],
    });
    const check = (body: Record<string, unknown>, primary: boolean) => {
      for (const key of ['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates', 'addresses']) {
        const values = body[key] as { primary?: boolean }[];
        expect(values, key).to.have.length(1);
        expect(values[0]!.primary, key).to.equal(primary);
      }
    };

    it('primary: false sent by POST, PUT and PATCH reads back as false', async () => {
      const org = await newOrg();
      const created = await org.scim.post('/Users', { ...userBody('rt@example.com'), ...multi(false) }).expect(201);
      check(created.body, false);
      const id = created.body.id as string;
      check((await org.scim.get(`/Users/${id}`).expect(200)).body, false);
      const put = await org.scim.put(`/Users/${id}`, { ...userBody('rt@example.com'), ...multi(true) }).expect(200);
      check(put.body, true);
      const patched = await org.scim
        .patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: multi(false) }] })
        .expect(200);
      check(patched.body, false);
      check((await org.scim.get(`/Users/${id}`).expect(200)).body, false);
      // Entra ID's string booleans are read as booleans.
      const entra = await org.scim
        .patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'phoneNumbers', value: [{ value: '+1', type: 'mobile', primary: 'False' }] }] })
        .expect(200);
      expect(entra.body.phoneNumbers).to.deep.equal([{ value: '+1', type: 'mobile', primary: false }]);
    });
  });

  describe('roles set directly are the role set (README "Roles")', () => {
    for (const roleMode of ['single', 'multiple'] as const) {
      it(`${roleMode} mode: no default role beside direct roles, known or not; the default returns when none is left`, async () => {
        const org = await newOrg({ roleMode });
        const id = (await org.scim.post('/Users', userBody('role@example.com')).expect(201)).body.id as string;
        const read = async () => (await org.scim.get(`/Users/${id}`).expect(200)).body.roles as { value: string; primary?: boolean }[];
        expect((await read()).map((r) => r.value)).to.deep.equal(['user']);
        // An app role Roster does not know: passed through as sent, and the default role is not added.
        const unknown = await org.scim
          .patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'roles', value: [{ value: 'Contoso.Reader', primary: false }] }] })
          .expect(200);
        expect(unknown.body.roles).to.deep.equal([{ value: 'Contoso.Reader', primary: false }]);
        expect(await read()).to.deep.equal([{ value: 'Contoso.Reader', primary: false }]);
        // A known role: that role, with what the client sent.
        await org.scim
          .patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'roles', value: [{ value: 'admin', primary: true, type: 'WindowsAzureActiveDirectoryRole' }] }] })
          .expect(200);
        const known = await read();
        expect(known).to.have.length(1);
        expect(known[0]).to.include({ value: 'admin', primary: true, type: 'WindowsAzureActiveDirectoryRole' });
        // PUT with roles replaces the set too.
        await org.scim.put(`/Users/${id}`, userBody('role@example.com', { roles: [{ value: 'Contoso.Writer' }] })).expect(200);
        expect((await read()).map((r) => r.value)).to.deep.equal(['Contoso.Writer']);
        await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'roles' }] }).expect(200);
        expect((await read()).map((r) => r.value)).to.deep.equal(['user']);
      });
    }
  });
});

describe('gt/ge/lt/le on case-insensitive strings, in the database (RFC 7644 3.4.2.2)', () => {
  const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

  async function seeded() {
    const org = await newOrg();
    const people: [string, string, string, string][] = [
      ['a1', 'alpha', 'E100', 'Work'],
      ['a2', 'Beta', 'e200', 'home'],
      ['a3', 'GAMMA', 'E300', 'WORK'],
      ['a4', 'delta', 'E050', 'mobile'],
    ];
    for (const [name, title, employeeNumber, phoneType] of people) {
      await org.scim
        .post('/Users', {
          ...userBody(`${name}@example.com`),
          title,
          name: { givenName: title, familyName: name.toUpperCase() },
          phoneNumbers: [{ value: `+${name}`, type: phoneType }],
          addresses: [{ locality: title, type: 'work' }],
          [ENT]: { employeeNumber },
        })
        .expect(201);
    }
    const names = async (filter: string, extra = '') => {
      const res = await org.scim.get(`/Users?filter=${encodeURIComponent(filter)}${extra}`).expect(200);
      return (res.body.Resources as { userName: string }[]).map((u) => u.userName.split('@')[0]);
    };
    return { org, names };
  }

  it('orders title, enterprise employeeNumber, name parts and element sub-attributes without regard to case', async () => {
    const { names } = await seeded();
    expect((await names('title gt "b"')).sort()).to.deep.equal(['a2', 'a3', 'a4']);
    expect((await names('title ge "BETA"')).sort()).to.deep.equal(['a2', 'a3', 'a4']);
    expect((await names('title lt "C"')).sort()).to.deep.equal(['a1', 'a2']);
    expect((await names('title le "beta"')).sort()).to.deep.equal(['a1', 'a2']);
    expect((await names(`${ENT}:employeeNumber ge "e200"`)).sort()).to.deep.equal(['a2', 'a3']);
    expect((await names('employeeNumber lt "E1"')).sort()).to.deep.equal(['a4']);
    expect((await names('name.givenName gt "ALPHA" and name.familyName le "a3"')).sort()).to.deep.equal(['a2', 'a3']);
    expect((await names('phoneNumbers.type ge "work"')).sort()).to.deep.equal(['a1', 'a3']);
    // In a value path the conditions hold on the same element.
    expect((await names('phoneNumbers[type eq "WORK" and value gt "+A2"]')).sort()).to.deep.equal(['a3']);
    expect((await names('addresses[locality lt "C" and type eq "Work"]')).sort()).to.deep.equal(['a1', 'a2']);
    // eq, sw and co on the shadow keys keep their case rule.
    expect(await names('title eq "gamma"')).to.deep.equal(['a3']);
    expect((await names('title sw "B" or title co "ELT"')).sort()).to.deep.equal(['a2', 'a4']);
    // Sorting is case-insensitive too.
    expect(await names('title pr', '&sortBy=title')).to.deep.equal(['a1', 'a2', 'a4', 'a3']);
    expect(await names('title pr', `&sortBy=${encodeURIComponent(`${ENT}:employeeNumber`)}&sortOrder=descending`)).to.deep.equal(['a3', 'a2', 'a1', 'a4']);
    // Booleans still refuse orderings (RFC 7644 3.4.2.2).
    const res = await (await seeded()).org.scim.get(`/Users?filter=${encodeURIComponent('active gt true')}`);
    expectScimError(res, 400, 'invalidFilter');
  });

  it('users stored before the shadow keys existed get them at startup (backfill), and are found', async function () {
    // One pass over every user the run has stored so far (thousands in a full run).
    this.timeout(120_000);
    const org = await newOrg();
    const id = (await org.scim.post('/Users', { ...userBody('old@example.com'), title: 'Zeta' }).expect(201)).body.id as string;
    const users = h().store.models.User.collection;
    await users.updateOne({ _id: id } as never, { $unset: { ci: '', ciVersion: '' } });
    const found = async () => (await org.scim.get(`/Users?filter=${encodeURIComponent('title ge "z"')}`).expect(200)).body.totalResults as number;
    expect(await found()).to.equal(0);
    // As on a database written before the keys existed: no marker yet.
    const meta = h().store.models.Meta.collection;
    await meta.deleteOne({ _id: 'users.caseKeys.v1' } as never);
    expect(await h().services.users.repo.backfillCaseKeys(2)).to.be.greaterThan(0);
    expect(await found()).to.equal(1);
    // Once done, a start reads nothing.
    expect(await meta.findOne({ _id: 'users.caseKeys.v1' } as never)).to.not.equal(null);
    expect(await h().services.users.repo.backfillCaseKeys()).to.equal(0);
    // The keys are never part of the SCIM representation.
    const read = await org.scim.get(`/Users/${id}`).expect(200);
    expect(read.body).to.not.have.property('ci');
    expect(read.body).to.not.have.property('ciVersion');
  });
});

describe('POST /.search at the root searches every resource type (RFC 7644 3.4.3)', () => {
  const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
  const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

  async function seeded() {
    const org = await newOrg();
    for (const name of ['Anna', 'carl', 'Eve']) {
      await org.scim.post('/Users', { ...userBody(`${name.toLowerCase()}@example.com`), displayName: name }).expect(201);
    }
    for (const name of ['bakers', 'Dancers', 'falconers']) {
      await org.scim.post('/Groups', { schemas: [GROUP], displayName: name }).expect(201);
    }
    const search = (body: Record<string, unknown>) => org.scim.post('/.search', { schemas: [SEARCH], ...body });
    const names = (res: { body: { Resources: { displayName: string }[] } }) => res.body.Resources.map((r) => r.displayName);
    return { org, search, names };
  }

  it('returns Users and Groups sorted together and paged by index', async () => {
    const { search, names } = await seeded();
    const all = await search({ sortBy: 'displayName' }).expect(200);
    expect(all.body.totalResults).to.equal(6);
    expect(names(all)).to.deep.equal(['Anna', 'bakers', 'carl', 'Dancers', 'Eve', 'falconers']);
    expect(all.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType)).to.deep.equal(['User', 'Group', 'User', 'Group', 'User', 'Group']);
    const page2 = await search({ sortBy: 'displayName', startIndex: 3, count: 2 }).expect(200);
    expect(page2.body).to.include({ totalResults: 6, startIndex: 3, itemsPerPage: 2 });
    expect(names(page2)).to.deep.equal(['carl', 'Dancers']);
    const desc = await search({ sortBy: 'displayName', sortOrder: 'descending', count: 3 }).expect(200);
    expect(names(desc)).to.deep.equal(['falconers', 'Eve', 'Dancers']);
    // Default order: creation time, users were created first.
    expect(names(await search({}).expect(200))).to.deep.equal(['Anna', 'carl', 'Eve', 'bakers', 'Dancers', 'falconers']);
  });

  it('pages by cursor across both resource types, forward and back', async () => {
    const { search, names } = await seeded();
    const seen: string[] = [];
    let res = await search({ sortBy: 'displayName', cursor: '', count: 4 }).expect(200);
    expect(res.body.totalResults).to.equal(6);
    seen.push(...names(res));
    const next = res.body.nextCursor as string;
    res = await search({ sortBy: 'displayName', cursor: next, count: 4 }).expect(200);
    seen.push(...names(res));
    expect(res.body.nextCursor).to.equal(undefined);
    expect(seen).to.deep.equal(['Anna', 'bakers', 'carl', 'Dancers', 'Eve', 'falconers']);
    const back = await search({ sortBy: 'displayName', cursor: res.body.previousCursor, count: 2 }).expect(200);
    expect(names(back)).to.deep.equal(['carl', 'Dancers']);
    // A cursor belongs to its query.
    expectScimError(await search({ sortBy: 'meta.created', cursor: next, count: 4 }), 400, 'invalidCursor');
  });

  it('applies the filter to each type: an attribute one type lacks matches none of it', async () => {
    const { search, names } = await seeded();
    expect(names(await search({ filter: 'displayName gt "c"', sortBy: 'displayName' }).expect(200))).to.deep.equal(['carl', 'Dancers', 'Eve', 'falconers']);
    const users = await search({ filter: 'userName sw "e"' }).expect(200);
    expect(names(users)).to.deep.equal(['Eve']);
    const groups = await search({ filter: 'meta.resourceType eq "Group"', attributes: ['displayName'] }).expect(200);
    expect(groups.body.totalResults).to.equal(3);
    expect(Object.keys(groups.body.Resources[0]).sort()).to.deep.equal(['displayName', 'id', 'schemas']);
    expectScimError(await search({ filter: 'nothing eq "x"' }), 400, 'invalidFilter');
    // Sorting needs an attribute every type has.
    expectScimError(await search({ sortBy: 'userName' }), 400, 'invalidValue');
    // Deep index pages are bounded; cursor paging reads on.
    expectScimError(await search({ startIndex: 20000, count: 10 }), 400, 'invalidValue');
    expect((await search({ count: 0 }).expect(200)).body).to.include({ totalResults: 6, itemsPerPage: 0 });
  });
});
