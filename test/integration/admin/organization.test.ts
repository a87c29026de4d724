import { expect } from 'chai';
import { api, newOrg, userBody } from '../../support/harness.js';
import { admin, expectProblem } from './helpers.js';

const roles = [
  { key: 'owner', name: 'Owner', precedence: 200, permissions: ['manage_users', 'billing'] },
  { key: 'admin', name: 'Admin', precedence: 100, permissions: ['manage_users'] },
  { key: 'member', name: 'Member', precedence: 10, permissions: [] },
];

describe('Organization settings (/api/v1/organization)', () => {
  it('GET answers the caller\'s organization with its defaults', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const res = await admin(org).get('/organization').expect(200);
    expect(res.body).to.include({ id: org.id, defaultRole: 'user', roleMode: 'single', retentionDays: 30, invitationTtlHours: 168 });
    expect(res.body.domains).to.deep.equal(['example.com']);
  });

  it('PATCH changes the given settings, reads back, and audits the change', async () => {
    const org = await newOrg();
    const patch = {
      domains: ['Example.com', 'example.org'],
      allowSubdomains: true,
      seatLimit: 2,
      roleMode: 'multiple',
      roles,
      defaultRole: 'member',
      companies: ['Acme', 'Globex'],
      retentionDays: 14,
      invitationTtlHours: 48,
    };
    const res = await admin(org).patch('/organization', patch).expect(200);
    expect(res.body.domains).to.deep.equal(['example.com', 'example.org']);
    const read = await admin(org).get('/organization').expect(200);
    expect(read.body).to.include({ allowSubdomains: true, seatLimit: 2, roleMode: 'multiple', defaultRole: 'member', retentionDays: 14, invitationTtlHours: 48 });
    expect(read.body.roles).to.deep.equal(roles);
    expect(read.body.companies).to.deep.equal(['Acme', 'Globex']);
    const audit = await admin(org).get('/audit?action=organization.updated').expect(200);
    expect(audit.body.total).to.equal(1);
    // The new settings apply: subdomains accepted, seat limit enforced.
    await org.scim.post('/Users', userBody('a@eu.example.com')).expect(201);
    await org.scim.post('/Users', userBody('b@example.org')).expect(201);
    const third = await org.scim.post('/Users', userBody('c@example.org'));
    expect(third.status).to.equal(403);
  });

  it('PATCH of one field leaves the others', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 5 });
    await admin(org).patch('/organization', { retentionDays: 7 }).expect(200);
    const read = await admin(org).get('/organization').expect(200);
    expect(read.body).to.include({ retentionDays: 7, seatLimit: 5 });
    expect(read.body.domains).to.deep.equal(['example.com']);
  });

  it('answers 400 invalidValue naming the field at fault', async () => {
    const org = await newOrg();
    const cases: [unknown, RegExp][] = [
      [{ domains: ['not a domain'] }, /^domains\.0:/],
      [{ seatLimit: -1 }, /^seatLimit:/],
      [{ roleMode: 'many' }, /^roleMode:/],
      [{ retentionDays: 0 }, /^retentionDays:/],
      [{ invitationTtlHours: 'soon' }, /^invitationTtlHours:/],
      [{ roles: [{ key: 'x', name: 'X', precedence: 1, permissions: ['manage_users'] }, { key: 'x', name: 'Y', precedence: 2 }], defaultRole: 'x' }, /^roles\.1\.key:/],
      [{ roles: [{ key: 'x', name: 'X', precedence: 1 }], defaultRole: 'x' }, /^roles: at least one role must grant manage_users/],
      [{ defaultRole: 'nobody' }, /^defaultRole:/],
      [{ roles: [{ key: 'Bad Key', name: 'X', precedence: 1 }] }, /^roles\.0\.key:/],
      [{ unknownSetting: true }, /unknownSetting|Unrecognized/i],
    ];
    for (const [body, detail] of cases) {
      const res = await admin(org).patch('/organization', body);
      expectProblem(res, 400, 'invalidValue');
      expect(res.body.detail, JSON.stringify(body)).to.match(detail);
    }
    const read = await admin(org).get('/organization').expect(200);
    expect(read.body.defaultRole).to.equal('user');
  });

  it('answers 401 without a token and 403 to a scim token', async () => {
    const org = await newOrg();
    expectProblem(await api().get('/api/v1/organization'), 401);
    expectProblem(await admin(org, org.scimToken).patch('/organization', { retentionDays: 3 }), 403);
  });
});
