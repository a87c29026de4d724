import { expect } from 'chai';
import { expectScimError, h, newOrg, userBody, type TestOrg } from '../../support/harness.js';

async function seed(org: TestOrg, n: number, prefix = 'u'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await org.scim.post('/Users', userBody(`${prefix}${String(i).padStart(3, '0')}@example.com`)).expect(201);
    ids.push(res.body.id as string);
  }
  return ids;
}

describe('SCIM list paging', () => {
  it('walks every user exactly once by cursor (RFC 9865) while other users are added', async () => {
    const org = await newOrg();
    const ids = await seed(org, 12);
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    for (;;) {
      const res = await org.scim.get(`/Users?count=5&cursor=${encodeURIComponent(cursor)}`).expect(200);
      expect(res.body).to.not.have.property('startIndex');
      seen.push(...res.body.Resources.map((u: { id: string }) => u.id));
      pages += 1;
      // Another user arrives in the middle of the walk: it may appear at the end, never twice.
      if (pages === 1) await org.scim.post('/Users', userBody('late@example.com')).expect(201);
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor as string;
    }
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen).to.include.members(ids);
  });

  it('walks every user exactly once by index while other users are added', async () => {
    const org = await newOrg();
    const ids = await seed(org, 9);
    const seen: string[] = [];
    for (let start = 1; ; start += 4) {
      const res = await org.scim.get(`/Users?startIndex=${start}&count=4`).expect(200);
      if (start === 1) await org.scim.post('/Users', userBody('late@example.com')).expect(201);
      seen.push(...res.body.Resources.map((u: { id: string }) => u.id));
      if (start + 4 > res.body.totalResults) break;
    }
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen).to.include.members(ids);
  });

  it('pages back with previousCursor to the same users', async () => {
    const org = await newOrg();
    await seed(org, 7);
    const first = await org.scim.get('/Users?count=3&cursor=&sortBy=userName').expect(200);
    expect(first.body).to.not.have.property('previousCursor');
    const second = await org.scim.get(`/Users?count=3&sortBy=userName&cursor=${first.body.nextCursor}`).expect(200);
    const back = await org.scim.get(`/Users?count=3&sortBy=userName&cursor=${second.body.previousCursor}`).expect(200);
    expect(back.body.Resources.map((u: { userName: string }) => u.userName)).to.deep.equal(
      first.body.Resources.map((u: { userName: string }) => u.userName),
    );
    expect(back.body.totalResults).to.equal(7);
  });

  it('walks a descending sort by cursor in order', async () => {
    const org = await newOrg();
    await seed(org, 5);
    const names: string[] = [];
    let cursor = '';
    do {
      const res = await org.scim.get(`/Users?count=2&sortBy=userName&sortOrder=descending&cursor=${cursor}`).expect(200);
      names.push(...res.body.Resources.map((u: { userName: string }) => u.userName));
      cursor = res.body.nextCursor ?? '';
    } while (cursor);
    expect(names).to.deep.equal([...names].sort().reverse());
    expect(names).to.have.length(5);
  });

  it('answers 400 invalidCursor for a cursor it did not issue, and for one from another query', async () => {
    const org = await newOrg();
    await seed(org, 3);
    expectScimError(await org.scim.get('/Users?cursor=not-a-cursor'), 400, 'invalidCursor');
    const page = await org.scim.get('/Users?count=1&cursor=').expect(200);
    expectScimError(await org.scim.get(`/Users?count=1&sortBy=userName&cursor=${page.body.nextCursor}`), 400, 'invalidCursor');
  });

  it('answers 400 expiredCursor once the cursor timeout has passed', async () => {
    const org = await newOrg();
    await seed(org, 3);
    const page = await org.scim.get('/Users?count=1&cursor=').expect(200);
    h().clock.advance((h().config.cursorTimeoutSeconds + 1) * 1000);
    try {
      expectScimError(await org.scim.get(`/Users?count=1&cursor=${page.body.nextCursor}`), 400, 'expiredCursor');
    } finally {
      h().clock.reset();
    }
  });

  it('answers 400 invalidCount for a cursor page larger than maxPageSize, and clamps it in index paging', async () => {
    const org = await newOrg();
    expectScimError(await org.scim.get('/Users?cursor=&count=100000'), 400, 'invalidCount');
    await org.scim.get('/Users?count=100000').expect(200);
  });

  it('gives the exact totalResults for short pages, full pages and pages past the end', async () => {
    const org = await newOrg();
    await seed(org, 3);
    const short = await org.scim.get('/Users?startIndex=2&count=10').expect(200);
    expect([short.body.totalResults, short.body.itemsPerPage]).to.deep.equal([3, 2]);
    const full = await org.scim.get('/Users?startIndex=1&count=2').expect(200);
    expect([full.body.totalResults, full.body.itemsPerPage]).to.deep.equal([3, 2]);
    const past = await org.scim.get('/Users?startIndex=9&count=2').expect(200);
    expect([past.body.totalResults, past.body.itemsPerPage]).to.deep.equal([3, 0]);
    const deep = await org.scim.get('/Users?count=1&cursor=').expect(200);
    const second = await org.scim.get(`/Users?count=1&cursor=${deep.body.nextCursor}`).expect(200);
    expect(second.body.totalResults).to.equal(3);
  });

  it('answers count=0 with totalResults only', async () => {
    const org = await newOrg();
    await seed(org, 2);
    const res = await org.scim.get('/Users?count=0').expect(200);
    expect(res.body.totalResults).to.equal(2);
    expect(res.body.Resources).to.deep.equal([]);
  });

  it('POST /.search at the root answers like GET /Users', async () => {
    const org = await newOrg();
    await seed(org, 2, 'root');
    const res = await org.scim
      .post('/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userName sw "root"',
        attributes: ['userName'],
      })
      .expect(200);
    expect(res.body.totalResults).to.equal(2);
    expect(res.body.Resources[0]).to.have.keys(['schemas', 'id', 'userName']);
  });
});
