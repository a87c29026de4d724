import { expect } from 'chai';
import { parseBulkRequest, referencesOf, resolveReferences } from '../../../src/domain/bulk/bulk-request.js';
import { BulkService, type BulkResourceHandler } from '../../../src/domain/bulk/bulk.service.js';
import { ScimError } from '../../../src/scim/errors.js';
import type { RequestContext } from '../../../src/domain/context.js';

const ctx: RequestContext = { orgId: 'o', actor: { type: 'token', id: 't', name: 't' }, requestId: 'r', scimBaseUrl: 'https://x/scim/v2' };
const toError = (err: unknown) => (err instanceof ScimError ? err : new ScimError(500, 'internal server error'));

/** A handler that records calls and creates ids "id-<n>". */
function fakeUsers(fail: (data: unknown) => boolean = () => false) {
  const calls: string[] = [];
  let n = 0;
  const handler: BulkResourceHandler = {
    create: async (_c, data) => {
      if (fail(data)) throw new ScimError(400, 'rejected', 'invalidValue');
      n += 1;
      calls.push(`create ${JSON.stringify(data)}`);
      return { id: `id-${n}`, version: 1, status: 201 };
    },
    replace: async (_c, id) => ({ id, version: 2, status: 200 }),
    patch: async (_c, id, data) => {
      calls.push(`patch ${id} ${JSON.stringify(data)}`);
      return { id, version: 3, status: 200 };
    },
    remove: async (_c, id) => {
      calls.push(`remove ${id}`);
    },
  };
  return { handler, calls };
}

describe('bulk messages (RFC 7644 3.7)', () => {
  it('finds bulkId references in paths, values and PATCH filters, and replaces only the resolved ones', () => {
    const op = {
      path: '/Users/bulkId:a',
      data: { members: [{ value: 'bulkId:b' }], Operations: [{ path: 'members[value eq "bulkId:c"]' }], note: 'plain' },
    };
    expect(referencesOf(op)).to.deep.equal(['a', 'b', 'c']);
    const ids = new Map([
      ['a', 'id-a'],
      ['b', 'id-b'],
    ]);
    expect(resolveReferences(op, ids)).to.deep.equal({
      path: '/Users/id-a',
      data: { members: [{ value: 'id-b' }], Operations: [{ path: 'members[value eq "bulkId:c"]' }], note: 'plain' },
    });
  });

  it('reads a BulkRequest, and refuses what makes the whole request unusable', () => {
    const req = parseBulkRequest({ failOnErrors: 2, Operations: [{ method: 'post', bulkId: 'a', path: '/Users', data: {} }] }, 10);
    expect(req.failOnErrors).to.equal(2);
    expect(req.operations[0]).to.include({ index: 0, method: 'POST', bulkId: 'a', path: '/Users' });
    expect(() => parseBulkRequest([], 10)).to.throw(/JSON object/);
    expect(() => parseBulkRequest({}, 10)).to.throw(/Operations/);
    expect(() => parseBulkRequest({ Operations: [], failOnErrors: 1.5 }, 10)).to.throw(/failOnErrors/);
    const tooMany = (() => {
      try {
        parseBulkRequest({ Operations: [{}, {}, {}] }, 2);
      } catch (err) {
        return err as ScimError;
      }
      return undefined;
    })();
    expect(tooMany?.status).to.equal(413);
    expect(tooMany?.scimType).to.equal(undefined);
    expect(tooMany?.detail).to.include('maxOperations (2)');
  });
});

describe('BulkService', () => {
  it('runs a POST before the operations that refer to it, earliest ready first', async () => {
    const { handler, calls } = fakeUsers();
    const service = new BulkService({ Users: handler });
    const request = parseBulkRequest(
      {
        Operations: [
          { method: 'DELETE', path: '/Users/bulkId:b' },
          { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'a' } },
          { method: 'POST', path: '/Users', bulkId: 'b', data: { manager: 'bulkId:a' } },
        ],
      },
      10,
    );
    const results = await service.run(ctx, request, { toError });
    expect(results.map((r) => [r.method, r.bulkId, r.status, r.location])).to.deep.equal([
      ['POST', 'a', '201', 'https://x/scim/v2/Users/id-1'],
      ['POST', 'b', '201', 'https://x/scim/v2/Users/id-2'],
      ['DELETE', undefined, '204', 'https://x/scim/v2/Users/id-2'],
    ]);
    expect(calls).to.deep.equal(['create {"userName":"a"}', 'create {"manager":"id-1"}', 'remove id-2']);
  });

  it('stops after failOnErrors errors, counting cycle failures too', async () => {
    const { handler } = fakeUsers((data) => (data as { bad?: boolean }).bad === true);
    const service = new BulkService({ Users: handler });
    const request = parseBulkRequest(
      {
        failOnErrors: 2,
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'x', data: { m: 'bulkId:y' } },
          { method: 'POST', path: '/Users', bulkId: 'y', data: { m: 'bulkId:x' } },
          { method: 'POST', path: '/Users', bulkId: 'ok', data: {} },
          { method: 'POST', path: '/Users', bulkId: 'bad', data: { bad: true } },
        ],
      },
      10,
    );
    const results = await service.run(ctx, request, { toError });
    expect(results.map((r) => [r.bulkId, r.status])).to.deep.equal([
      ['ok', '201'],
      ['bad', '400'],
      ['x', '409'],
    ]);
    expect(results[2]?.response?.detail).to.include('bulkId:x → bulkId:y → bulkId:x');
  });

  it('turns an unexpected failure into that operation\'s 500, and goes on', async () => {
    const { handler } = fakeUsers();
    const service = new BulkService({
      Users: { ...handler, remove: async () => Promise.reject(new Error('boom')) },
    });
    const results = await service.run(
      ctx,
      parseBulkRequest({ Operations: [{ method: 'DELETE', path: '/Users/u1' }, { method: 'POST', path: 'Users', bulkId: 'a', data: {} }] }, 10),
      { toError },
    );
    expect(results.map((r) => r.status)).to.deep.equal(['500', '201']);
    expect(results[0]?.response?.detail).to.equal('internal server error');
  });
});
