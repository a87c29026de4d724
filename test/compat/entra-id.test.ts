/**
 * Microsoft Entra ID provisioning, replayed request by request over HTTP. Each test sends the exact
 * shape Entra ID sends (headers, body, query) and cites the Microsoft Learn page that documents it:
 *   [Tutorial]     "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
 *                  https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
 *   [Known issues] "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra
 *                  user provisioning service"
 *                  https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
 */
import { expect } from 'chai';
import { api, ENTERPRISE, expectScimError, newOrg, PATCH_OP, USER_SCHEMA } from '../support/harness.js';
import { ENTRA_HEADERS, filterQuery, probeUserName, providerClient, type ProviderClient } from './provider-client.js';

/** Entra ID's create body, as in [Tutorial] › User Operations › Create User. */
function entraUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Given Family', familyName: 'Family', givenName: 'Given' },
    roles: [],
    ...extra,
  };
}

function patchOps(...Operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations };
}

async function entraOrgWithUser(userName: string, extra: Record<string, unknown> = {}) {
  const org = await newOrg();
  const entra = providerClient(org, ENTRA_HEADERS);
  const created = await entra.post('/Users', entraUser(userName, extra)).expect(201);
  return { org, entra, id: created.body.id as string, created: created.body as Record<string, any> };
}

async function readBack(entra: ProviderClient, id: string): Promise<Record<string, any>> {
  return (await entra.get(`/Users/${id}`).expect(200)).body as Record<string, any>;
}

describe('Entra ID', () => {
  describe('PATCH forms', () => {
    // [Known issues] › "Flags to alter the SCIM behavior": the disable-user request with "Replace" and "False".
    it('PATCH with "Replace" and the string "False" deactivates the user, and "True" reactivates it', async () => {
      const { entra, id } = await entraOrgWithUser('off@contoso.com');
      const off = await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path: 'active', value: 'False' })).expect(200);
      expect(off.body.active).to.equal(false);
      const suspended = await readBack(entra, id);
      expect(suspended.active).to.equal(false);
      expect(suspended['urn:roster:params:scim:schemas:extension:lifecycle:1.0:User'].status).to.equal('suspended');

      await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path: 'active', value: 'True' })).expect(200);
      expect((await readBack(entra, id)).active).to.equal(true);
    });

    // [Tutorial] › User Operations › Update User [Multi-valued properties] and [Single-valued properties].
    it('PATCH with capitalised "Replace", "Add" and "Remove" ops applies each of them', async () => {
      const { entra, id } = await entraOrgWithUser('ops@contoso.com', { title: 'Engineer', nickName: 'Opsy' });
      await entra
        .patch(
          `/Users/${id}`,
          patchOps(
            { op: 'Replace', path: 'name.familyName', value: 'Updated' },
            { op: 'Add', path: 'displayName', value: 'Ops Person' },
            { op: 'Remove', path: 'nickName' },
          ),
        )
        .expect(200);
      const read = await readBack(entra, id);
      expect(read.name.familyName).to.equal('Updated');
      expect(read.displayName).to.equal('Ops Person');
      expect(read).to.not.have.property('nickName');
      expect(read.title).to.equal('Engineer');
    });

    // [Known issues] › "Flags to alter the SCIM behavior": replacing several attributes in one path-less
    // "Replace" whose value keys are dotted, filtered and URN-qualified paths.
    it('a path-less "Replace" with dotted, filtered and URN-prefixed keys sets each attribute', async () => {
      const { entra, id } = await entraOrgWithUser('multi@contoso.com');
      await entra
        .patch(
          `/Users/${id}`,
          patchOps({
            op: 'Replace',
            value: {
              displayName: 'Multi User',
              'name.givenName': 'Grace',
              'name.familyName': 'Hopper',
              'emails[type eq "work"].value': 'grace@contoso.com',
              'addresses[type eq "work"].locality': 'Arlington',
              [`${ENTERPRISE}:employeeNumber`]: '1906',
              [`${ENTERPRISE}:department`]: 'Navy',
            },
          }),
        )
        .expect(200);
      const read = await readBack(entra, id);
      expect(read.displayName).to.equal('Multi User');
      expect(read.name).to.include({ givenName: 'Grace', familyName: 'Hopper' });
      expect(read.emails).to.deep.equal([{ primary: true, type: 'work', value: 'grace@contoso.com' }]);
      expect(read.addresses).to.deep.equal([{ type: 'work', locality: 'Arlington' }]);
      expect(read[ENTERPRISE]).to.include({ employeeNumber: '1906', department: 'Navy' });
      expect(read.schemas).to.include(ENTERPRISE);
    });

    // [Tutorial] › User Operations › Update User [Multi-valued properties]: emails[type eq "work"].value.
    it('"Replace" and "Add" on emails[type eq "work"].value create the work email when there is none', async () => {
      const { entra, id } = await entraOrgWithUser('nowork', { emails: [{ type: 'home', value: 'home@contoso.com' }] });
      await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'work@contoso.com' })).expect(200);
      const afterReplace = await readBack(entra, id);
      expect(afterReplace.emails).to.deep.equal([
        { type: 'home', value: 'home@contoso.com' },
        { type: 'work', value: 'work@contoso.com' },
      ]);

      const second = await entraOrgWithUser('nowork2', { emails: [] });
      await second.entra
        .patch(`/Users/${second.id}`, patchOps({ op: 'Add', path: 'emails[type eq "work"].value', value: 'added@contoso.com' }))
        .expect(200);
      expect((await readBack(second.entra, second.id)).emails).to.deep.equal([{ type: 'work', value: 'added@contoso.com' }]);
    });

    // [Tutorial] › Design your user and group schema (addresses[type eq "work"].* mappings); Entra ID
    // sends one operation per mapped sub-attribute.
    it('several "Add" ops on sub-attributes of addresses[type eq "work"] merge into one address', async () => {
      const { entra, id } = await entraOrgWithUser('addr@contoso.com');
      await entra
        .patch(
          `/Users/${id}`,
          patchOps(
            { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Microsoft Way' },
            { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Redmond' },
            { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98052' },
            { op: 'Add', path: 'addresses[type eq "work"].country', value: 'US' },
          ),
        )
        .expect(200);
      const read = await readBack(entra, id);
      expect(read.addresses).to.deep.equal([
        { type: 'work', streetAddress: '1 Microsoft Way', locality: 'Redmond', postalCode: '98052', country: 'US' },
      ]);
    });

    // [Known issues] › "Flags to alter the SCIM behavior": Entra ID sends "Add" for single-valued attributes
    // whether or not they already have a value.
    it('"Add" on a single-valued attribute that has a value replaces it', async () => {
      const { entra, id } = await entraOrgWithUser('addsingle@contoso.com', { title: 'Engineer' });
      await entra
        .patch(`/Users/${id}`, patchOps({ op: 'Add', path: 'title', value: 'Manager' }, { op: 'Add', path: 'name.givenName', value: 'New' }))
        .expect(200);
      const read = await readBack(entra, id);
      expect(read.title).to.equal('Manager');
      expect(read.name.givenName).to.equal('New');
    });

    // [Tutorial] › Design your user and group schema: manager maps to the enterprise extension's manager;
    // Entra ID sends its id as a plain string, as {value} or as [{value, $ref}], and clears it with "" or null.
    it('sets the manager from a string, from {value} and from [{value, $ref}], and clears it with "" and with null', async () => {
      const { entra, id } = await entraOrgWithUser('report@contoso.com');
      const path = `${ENTERPRISE}:manager`;
      const managerOf = async (): Promise<unknown> => (await readBack(entra, id))[ENTERPRISE]?.manager;

      await entra.patch(`/Users/${id}`, patchOps({ op: 'Add', path, value: 'boss-1' })).expect(200);
      expect(await managerOf()).to.deep.equal({ value: 'boss-1', $ref: 'https://roster.test/scim/v2/Users/boss-1' });

      await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path, value: { value: 'boss-2' } })).expect(200);
      expect(await managerOf()).to.deep.equal({ value: 'boss-2', $ref: 'https://roster.test/scim/v2/Users/boss-2' });

      await entra
        .patch(`/Users/${id}`, patchOps({ op: 'Replace', path, value: [{ value: 'boss-3', $ref: 'https://elsewhere.example/Users/boss-3' }] }))
        .expect(200);
      expect(await managerOf()).to.deep.equal({ value: 'boss-3', $ref: 'https://roster.test/scim/v2/Users/boss-3' });

      await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path, value: '' })).expect(200);
      expect(await managerOf()).to.equal(undefined);

      await entra.patch(`/Users/${id}`, patchOps({ op: 'Add', path, value: 'boss-4' })).expect(200);
      await entra.patch(`/Users/${id}`, patchOps({ op: 'Replace', path, value: null })).expect(200);
      expect(await managerOf()).to.equal(undefined);
    });

    // [Known issues] › "SCIM 2.0 compliance issues and status": Entra ID clears an attribute by sending an
    // empty value rather than a "Remove".
    it('an optional value replaced with "" or null is cleared', async () => {
      const { entra, id } = await entraOrgWithUser('clear@contoso.com', {
        title: 'Engineer',
        [ENTERPRISE]: { department: 'R&D', costCenter: 'CC-1' },
      });
      await entra
        .patch(
          `/Users/${id}`,
          patchOps(
            { op: 'Replace', path: 'title', value: '' },
            { op: 'Replace', path: `${ENTERPRISE}:department`, value: null },
          ),
        )
        .expect(200);
      const read = await readBack(entra, id);
      expect(read).to.not.have.property('title');
      expect(read[ENTERPRISE]).to.deep.equal({ costCenter: 'CC-1' });
    });

    // [Tutorial] › Design your user and group schema: companyName maps to the enterprise organization.
    it('sets companyName through the enterprise "organization" attribute', async () => {
      const { entra, id } = await entraOrgWithUser('company@contoso.com');
      await entra.patch(`/Users/${id}`, patchOps({ op: 'Add', path: `${ENTERPRISE}:organization`, value: 'Contoso Ltd' })).expect(200);
      expect((await readBack(entra, id))[ENTERPRISE].organization).to.equal('Contoso Ltd');
    });
  });

  describe('create', () => {
    // [Tutorial] › User Operations › Create User (meta in the body); [Known issues] on nulls for unset values.
    it('POST with JSON nulls, meta and an unknown schema URN creates the user', async () => {
      const org = await newOrg();
      const entra = providerClient(org, ENTRA_HEADERS);
      const custom = 'urn:ietf:params:scim:schemas:extension:custom:2.0:User';
      const created = await entra
        .post('/Users', {
          ...entraUser('nulls@contoso.com'),
          schemas: [USER_SCHEMA, ENTERPRISE, custom],
          displayName: null,
          nickName: null,
          name: { givenName: 'Null', familyName: null },
          phoneNumbers: null,
          [ENTERPRISE]: { employeeNumber: null, department: 'Ops', manager: null },
          [custom]: { worksiteId: '180' },
        })
        .expect(201);
      const read = await readBack(entra, created.body.id as string);
      expect(read.userName).to.equal('nulls@contoso.com');
      expect(read).to.not.have.property('displayName');
      expect(read).to.not.have.property('nickName');
      expect(read).to.not.have.property('phoneNumbers');
      expect(read).to.not.have.property(custom);
      expect(read.name).to.deep.equal({ givenName: 'Null' });
      expect(read[ENTERPRISE]).to.deep.equal({ department: 'Ops' });
      expect(read.meta.resourceType).to.equal('User');
    });

    // [Tutorial] › User Operations › Create User: a duplicate answers 409.
    it('a second POST with the same userName answers 409 uniqueness', async () => {
      const { entra } = await entraOrgWithUser('dup@contoso.com');
      expectScimError(await entra.post('/Users', entraUser('dup@contoso.com')), 409, 'uniqueness');
      const list = await entra.get(`/Users${filterQuery('userName eq "dup@contoso.com"')}`).expect(200);
      expect(list.body.totalResults).to.equal(1);
    });
  });

  describe('connection and lookups', () => {
    // [Tutorial] › User Operations › Get User by query - Zero results: Test Connection queries a random userName.
    it('the "Test Connection" probe with a random userName answers 200 with totalResults 0', async () => {
      const org = await newOrg();
      const entra = providerClient(org, ENTRA_HEADERS);
      const res = await entra.get(`/Users${filterQuery(`userName eq "${probeUserName()}"`)}`).expect(200);
      expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(res.body.totalResults).to.equal(0);
      expect(res.body.Resources).to.deep.equal([]);
    });

    // [Tutorial] › User Operations › Get User; RFC 7644 3.12.
    it('GET of an unknown id answers 404 in SCIM error JSON', async () => {
      const org = await newOrg();
      const entra = providerClient(org, ENTRA_HEADERS);
      expectScimError(await entra.get('/Users/5171a35d82074e068ce2'), 404);
    });

    // [Tutorial] › User Operations › Get User by query (userName is case-insensitive, RFC 7643 4.1.1).
    it('the userName filter finds the user in another letter case', async () => {
      const { entra, id } = await entraOrgWithUser('Test_User@Contoso.com');
      const res = await entra.get(`/Users${filterQuery('userName eq "test_user@CONTOSO.COM"')}`).expect(200);
      expect(res.body.totalResults).to.equal(1);
      expect(res.body.Resources[0].id).to.equal(id);
      expect(res.body.Resources[0].userName).to.equal('Test_User@Contoso.com');
    });

    // [Tutorial] › Understand the Microsoft Entra SCIM implementation: users are queried by id and manager.
    it('the filter id eq "…" and manager eq "…" finds the report of that manager', async () => {
      const { entra, id } = await entraOrgWithUser('managed@contoso.com', { [ENTERPRISE]: { manager: { value: 'boss-9' } } });
      const hit = await entra.get(`/Users${filterQuery(`id eq "${id}" and manager eq "boss-9"`)}`).expect(200);
      expect(hit.body.totalResults).to.equal(1);
      expect(hit.body.Resources[0].id).to.equal(id);
      const miss = await entra.get(`/Users${filterQuery(`id eq "${id}" and manager eq "someone-else"`)}`).expect(200);
      expect(miss.body.totalResults).to.equal(0);
    });

    // [Tutorial] › Integrate your SCIM endpoint with the Microsoft Entra provisioning service (bearer token);
    // an Authorization header that is not a bearer token must be refused with 401.
    it('"Authorization: non-token" answers 401 with status "401"', async () => {
      const res = await api().get('/scim/v2/Users').set('Authorization', 'non-token').set('Accept', ENTRA_HEADERS.accept);
      expectScimError(res, 401);
      expect(res.body.status).to.equal('401');
    });
  });
});
