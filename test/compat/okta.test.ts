/**
 * Okta provisioning, replayed request by request over HTTP. Each test sends the exact shape Okta sends
 * (Content-Type `application/json; charset=utf-8`, body, query) and cites the Okta page documenting it:
 *   [Okta SCIM 2.0] "Okta and SCIM Version 2.0" (SCIM 2.0 protocol reference)
 *                   https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20
 *   [Okta build]    "Build a SCIM provisioning integration"
 *                   https://developer.okta.com/docs/guides/scim-provisioning-integration-prepare/main/
 */
import { expect } from 'chai';
import { api, expectScimError, h, newOrg, PATCH_OP, USER_SCHEMA } from '../support/harness.js';
import { filterQuery, OKTA_HEADERS, probeUserName, providerClient, type ProviderClient } from './provider-client.js';

/** Okta's create body, as in [Okta SCIM 2.0] › SCIM user operations › Create users. */
function oktaUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Test User',
    locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7',
    groups: [],
    password: '1mz050nq-Initial',
    active: true,
    ...extra,
  };
}

function patchOps(...Operations: unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations };
}

async function oktaOrgWithUser(userName: string, extra: Record<string, unknown> = {}) {
  const org = await newOrg();
  const okta = providerClient(org, OKTA_HEADERS);
  const created = await okta.post('/Users', oktaUser(userName, extra)).expect(201);
  return { org, okta, id: created.body.id as string };
}

async function readBack(okta: ProviderClient, id: string): Promise<Record<string, any>> {
  return (await okta.get(`/Users/${id}`).expect(200)).body as Record<string, any>;
}

async function storedPasswordHash(id: string): Promise<string | undefined> {
  const stored = await h().store.models.User.collection.findOne({ _id: id as never });
  return stored?.passwordHash as string | undefined;
}

describe('Okta', () => {
  describe('create and look up', () => {
    // [Okta SCIM 2.0] › SCIM user operations › Create users: Okta sends application/json; charset=utf-8.
    it('POST with Content-Type "application/json; charset=utf-8" creates the user and never returns the password', async () => {
      const org = await newOrg();
      const okta = providerClient(org, OKTA_HEADERS);
      const res = await okta.post('/Users', oktaUser('test.user@okta.local')).expect(201);
      expect(res.headers['content-type']).to.match(/^application\/scim\+json/);
      expect(res.body).to.not.have.property('password');
      const read = await readBack(okta, res.body.id as string);
      expect(read).to.include({ userName: 'test.user@okta.local', displayName: 'Test User', locale: 'en-US', active: true });
      expect(read.externalId).to.equal('00ujl29u0le5T6Aj10h7');
      expect(read).to.not.have.property('password');
      expect(await storedPasswordHash(res.body.id as string)).to.match(/^scrypt\$/);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Create users: before creating, Okta looks the user up with
    // filter=userName eq "…" and startIndex=1&count=100.
    it('the lookup filter=userName eq "…"&startIndex=1&count=100 finds the user', async () => {
      const { okta, id } = await oktaOrgWithUser('lookup@okta.local');
      const res = await okta.get(`/Users${filterQuery('userName eq "lookup@okta.local"', '&startIndex=1&count=100')}`).expect(200);
      expect(res.body.totalResults).to.equal(1);
      expect(res.body.startIndex).to.equal(1);
      expect(res.body.itemsPerPage).to.equal(1);
      expect(res.body.Resources[0].id).to.equal(id);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Create users: the same lookup answers an empty list for a new user.
    it('the lookup for an unknown userName answers 200 with totalResults 0', async () => {
      const org = await newOrg();
      const okta = providerClient(org, OKTA_HEADERS);
      const res = await okta.get(`/Users${filterQuery(`userName eq "${probeUserName()}"`, '&startIndex=1&count=100')}`).expect(200);
      expect(res.body.totalResults).to.equal(0);
      expect(res.body.Resources).to.deep.equal([]);
    });

    // [Okta build] › Test your SCIM API: Okta checks the credentials with GET /Users?startIndex=1&count=2.
    it('the credentials check GET /Users?startIndex=1&count=2 answers a ListResponse', async () => {
      const { okta } = await oktaOrgWithUser('check@okta.local');
      const res = await okta.get('/Users?startIndex=1&count=2').expect(200);
      expect(res.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(res.body.totalResults).to.equal(1);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Retrieve users (userName is case-insensitive, RFC 7643 4.1.1).
    it('the userName filter finds the user in another letter case', async () => {
      const { okta, id } = await oktaOrgWithUser('Mixed.Case@okta.local');
      const res = await okta.get(`/Users${filterQuery('userName eq "mixed.case@OKTA.local"', '&startIndex=1&count=100')}`).expect(200);
      expect(res.body.totalResults).to.equal(1);
      expect(res.body.Resources[0].id).to.equal(id);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Create users: a userName that exists answers 409.
    it('a second POST with the same userName answers 409 uniqueness', async () => {
      const { okta } = await oktaOrgWithUser('dup@okta.local');
      expectScimError(await okta.post('/Users', oktaUser('dup@okta.local')), 409, 'uniqueness');
    });

    // [Okta SCIM 2.0] › SCIM user operations › Retrieve a specific user; RFC 7644 3.12.
    it('GET of an unknown id answers 404 in SCIM error JSON', async () => {
      const org = await newOrg();
      expectScimError(await providerClient(org, OKTA_HEADERS).get('/Users/00uunknown'), 404);
    });

    // [Okta build] › Test your SCIM API: a request without a valid bearer token answers 401.
    it('"Authorization: non-token" answers 401 with status "401"', async () => {
      const res = await api().get('/scim/v2/Users?startIndex=1&count=2').set('Authorization', 'non-token').set('Accept', OKTA_HEADERS.accept);
      expectScimError(res, 401);
      expect(res.body.status).to.equal('401');
    });
  });

  describe('updates', () => {
    // [Okta SCIM 2.0] › SCIM user operations › Update a specific user (PUT): Okta GETs the user, then PUTs the
    // whole resource back, id, meta, groups and password included.
    it('PUT of the full resource after a GET answers 200 and the changes read back', async () => {
      const { okta, id } = await oktaOrgWithUser('put@okta.local');
      const before = await storedPasswordHash(id);
      const current = await readBack(okta, id);
      const body = {
        ...current,
        name: { givenName: 'Changed', familyName: 'User' },
        displayName: 'Changed User',
        groups: [{ value: '00g1emaKYZTWRYYRRTSK', display: 'Everyone' }],
        password: 'New-Pass-2024',
      };
      const res = await okta.put(`/Users/${id}`, body).expect(200);
      expect(res.body).to.not.have.property('password');
      const read = await readBack(okta, id);
      expect(read.id).to.equal(id);
      expect(read.name).to.deep.equal({ givenName: 'Changed', familyName: 'User' });
      expect(read.displayName).to.equal('Changed User');
      expect(read.active).to.equal(true);
      expect(read.meta.version).to.not.equal(current.meta.version);
      expect(await storedPasswordHash(id)).to.match(/^scrypt\$/).and.not.equal(before);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Update a specific user (PUT): a PUT without active keeps the state.
    it('a PUT that omits active does not suspend the user', async () => {
      const { okta, id } = await oktaOrgWithUser('keep@okta.local');
      const { active: _omitted, ...body } = await readBack(okta, id);
      await okta.put(`/Users/${id}`, { ...body, title: 'Kept' }).expect(200);
      const read = await readBack(okta, id);
      expect(read.active).to.equal(true);
      expect(read.title).to.equal('Kept');
    });

    // [Okta SCIM 2.0] › SCIM user operations › Update a specific user (PATCH): deactivation and reactivation are
    // path-less replaces of active.
    it('path-less PATCH {"active":false} deactivates the user and {"active":true} reactivates it', async () => {
      const { okta, id } = await oktaOrgWithUser('deact@okta.local');
      const off = await okta.patch(`/Users/${id}`, patchOps({ op: 'replace', value: { active: false } })).expect(200);
      expect(off.body.active).to.equal(false);
      const suspended = await readBack(okta, id);
      expect(suspended.active).to.equal(false);
      expect(suspended['urn:roster:params:scim:schemas:extension:lifecycle:1.0:User'].status).to.equal('suspended');
      expect(suspended.displayName).to.equal('Test User');

      await okta.patch(`/Users/${id}`, patchOps({ op: 'replace', value: { active: true } })).expect(200);
      expect((await readBack(okta, id)).active).to.equal(true);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Update a specific user (PATCH): password sync as a path-less replace.
    it('password sync by path-less PATCH {"password":"…"} answers 200 and never returns the password', async () => {
      const { okta, id } = await oktaOrgWithUser('pw@okta.local');
      const before = await storedPasswordHash(id);
      const res = await okta.patch(`/Users/${id}`, patchOps({ op: 'replace', value: { password: 'Synced-Pass-1' } })).expect(200);
      expect(res.body).to.not.have.property('password');
      const read = (await okta.get(`/Users/${id}?attributes=password`).expect(200)).body;
      expect(read).to.not.have.property('password');
      const after = await storedPasswordHash(id);
      expect(after).to.match(/^scrypt\$/).and.not.equal(before);
      expect(JSON.stringify(await h().store.models.User.collection.findOne({ _id: id as never }))).to.not.include('Synced-Pass-1');
    });

    // [Okta SCIM 2.0] › SCIM user operations › Update a specific user (PATCH): the same with path "password".
    it('password sync by PATCH with path "password" answers 200 and never returns the password', async () => {
      const { okta, id } = await oktaOrgWithUser('pwpath@okta.local');
      const before = await storedPasswordHash(id);
      const res = await okta.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'password', value: 'Synced-Pass-2' })).expect(200);
      expect(res.body).to.not.have.property('password');
      expect(await readBack(okta, id)).to.not.have.property('password');
      expect(await storedPasswordHash(id)).to.match(/^scrypt\$/).and.not.equal(before);
    });

    // [Okta SCIM 2.0] › SCIM user operations › Deactivate users: deactivated users must still be returned so that
    // Okta can match and reactivate them.
    it('a deactivated user stays readable by id and by the userName filter', async () => {
      const { okta, id } = await oktaOrgWithUser('gone@okta.local');
      await okta.patch(`/Users/${id}`, patchOps({ op: 'replace', value: { active: false } })).expect(200);
      const byId = await readBack(okta, id);
      expect(byId.active).to.equal(false);
      const byFilter = await okta.get(`/Users${filterQuery('userName eq "gone@okta.local"', '&startIndex=1&count=100')}`).expect(200);
      expect(byFilter.body.totalResults).to.equal(1);
      expect(byFilter.body.Resources[0]).to.include({ id, active: false });
    });
  });
});
