import { expect } from 'chai';
import { expectScimError, newOrg, PATCH_OP, userBody, USER_SCHEMA } from '../../support/harness.js';

describe('Domain rule (sign-in email on the organization\'s domains)', () => {
  describe('POST /Users', () => {
    it('answers 400 invalidValue naming the domain and the allowed ones for an address elsewhere', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const res = await org.scim.post('/Users', userBody('mallory@evil.com'));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.equal('email domain "evil.com" is not one of this organization\'s domains (acme.com)');
      const list = await org.scim.get('/Users').expect(200);
      expect(list.body.totalResults).to.equal(0);
    });

    it('accepts an address on one of the domains in any letter case', async () => {
      const org = await newOrg({ domains: ['acme.com', 'acme.org'] });
      await org.scim.post('/Users', userBody('ada@ACME.org')).expect(201);
    });

    it('answers 400 invalidValue for a subdomain when the organization does not allow subdomains', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const res = await org.scim.post('/Users', userBody('ada@eu.acme.com'));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('"eu.acme.com"');
    });

    it('accepts a subdomain when the organization allows subdomains, but not a look-alike domain', async () => {
      const org = await newOrg({ domains: ['acme.com'], allowSubdomains: true });
      await org.scim.post('/Users', userBody('ada@eu.acme.com')).expect(201);
      expectScimError(await org.scim.post('/Users', userBody('bob@notacme.com')), 400, 'invalidValue');
    });

    it('checks the primary email when userName is not an address', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      await org.scim
        .post('/Users', { schemas: [USER_SCHEMA], userName: 'ada', emails: [{ value: 'ada@acme.com', primary: true }] })
        .expect(201);
      const res = await org.scim.post('/Users', {
        schemas: [USER_SCHEMA],
        userName: 'bob',
        emails: [{ value: 'bob@gmail.com', type: 'home' }, { value: 'bob@evil.com', primary: true }],
      });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('"evil.com"');
    });

    it('answers 400 invalidValue when there is no sign-in email at all and the organization has domains', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const res = await org.scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'no-email' });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('acme.com');
    });

    it('accepts every domain in an organization without domains', async () => {
      const org = await newOrg();
      await org.scim.post('/Users', userBody('anyone@anywhere.example')).expect(201);
      await org.scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'no-email' }).expect(201);
    });
  });

  describe('PUT /Users/:id', () => {
    it('answers 400 invalidValue for a new userName on another domain, and changes nothing', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const created = await org.scim.post('/Users', userBody('ada@acme.com')).expect(201);
      const res = await org.scim.put(`/Users/${created.body.id}`, userBody('ada@evil.com'));
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('"evil.com"');
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.userName).to.equal('ada@acme.com');
    });

    it('accepts a replacement that keeps the address on the domain', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const created = await org.scim.post('/Users', userBody('ada@acme.com')).expect(201);
      const res = await org.scim.put(`/Users/${created.body.id}`, userBody('ada.l@acme.com')).expect(200);
      expect(res.body.userName).to.equal('ada.l@acme.com');
    });
  });

  describe('PATCH /Users/:id', () => {
    it('answers 400 invalidValue for a userName replaced with an address on another domain, and changes nothing', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const created = await org.scim.post('/Users', userBody('ada@acme.com')).expect(201);
      const res = await org.scim.patch(`/Users/${created.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'userName', value: 'ada@evil.com' }],
      });
      expectScimError(res, 400, 'invalidValue');
      expect(res.body.detail).to.include('"evil.com"');
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.userName).to.equal('ada@acme.com');
    });

    it('answers 400 invalidValue for a primary email moved to another domain when userName is not an address', async () => {
      const org = await newOrg({ domains: ['acme.com'] });
      const created = await org.scim
        .post('/Users', { schemas: [USER_SCHEMA], userName: 'ada', emails: [{ value: 'ada@acme.com', type: 'work', primary: true }] })
        .expect(201);
      const res = await org.scim.patch(`/Users/${created.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'ada@evil.com', type: 'work', primary: true }] }],
      });
      expectScimError(res, 400, 'invalidValue');
      const read = await org.scim.get(`/Users/${created.body.id}`).expect(200);
      expect(read.body.emails[0].value).to.equal('ada@acme.com');
    });
  });
});
