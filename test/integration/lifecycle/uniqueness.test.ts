import { expect } from 'chai';
import { expectScimError, newOrg, userBody, USER_SCHEMA } from '../../support/harness.js';

/** The i-th letter-case variant of a lower-case name (bit k of i upper-cases letter k). */
function letterCase(name: string, i: number): string {
  return [...name].map((c, k) => (k < 30 && (i >> k) & 1 ? c.toUpperCase() : c)).join('');
}

describe('Uniqueness of userName and sign-in email', () => {
  it('gives exactly one 201 and 99 409 uniqueness to 100 parallel POSTs of one userName in different letter cases', async function () {
    this.timeout(60_000);
    const org = await newOrg();
    const names = Array.from({ length: 100 }, (_, i) => letterCase('concurrent@example.com', i));
    expect(new Set(names).size).to.equal(100);
    const results = await Promise.all(names.map((n) => org.scim.post('/Users', userBody(n))));
    expect(results.filter((r) => r.status === 201)).to.have.length(1);
    const clashes = results.filter((r) => r.status === 409);
    expect(clashes).to.have.length(99);
    for (const r of clashes) expectScimError(r, 409, 'uniqueness');
    const list = await org.scim.get('/Users').expect(200);
    expect(list.body.totalResults).to.equal(1);
  });

  it('answers 409 uniqueness naming the email for a sign-in email another user holds in another letter case', async () => {
    const org = await newOrg();
    await org.scim
      .post('/Users', { schemas: [USER_SCHEMA], userName: 'alice', emails: [{ value: 'shared@example.com', primary: true }] })
      .expect(201);
    const res = await org.scim.post('/Users', {
      schemas: [USER_SCHEMA],
      userName: 'bob',
      emails: [{ value: 'Shared@Example.com', primary: true }],
    });
    expectScimError(res, 409, 'uniqueness');
    expect(res.body.detail).to.include('"shared@example.com"');
  });

  it('answers 409 uniqueness naming the userName to a PUT that takes another user\'s userName', async () => {
    const org = await newOrg();
    await org.scim.post('/Users', userBody('ada')).expect(201);
    const grace = await org.scim.post('/Users', userBody('grace')).expect(201);
    const res = await org.scim.put(`/Users/${grace.body.id}`, userBody('ADA', { emails: [{ value: 'grace@example.com', primary: true }] }));
    expectScimError(res, 409, 'uniqueness');
    expect(res.body.detail).to.equal('userName "ADA" is already taken in this organization');
    const read = await org.scim.get(`/Users/${grace.body.id}`).expect(200);
    expect(read.body.userName).to.equal('grace');
  });
});
