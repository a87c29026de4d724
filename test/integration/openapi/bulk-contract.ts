/**
 * POST /scim/v2/Bulk held to the OpenAPI document. Called from contract.test.ts, whose `check`
 * records every (method, path, status) produced, so its "every documented response" check sees these.
 */
import { expect } from 'chai';
import type supertest from 'supertest';
import { BulkService } from '../../../src/domain/bulk/bulk.service.js';
import { api, h, newOrg, userBody } from '../../support/harness.js';

const BULK = '/scim/v2/Bulk';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

type Check = (method: string, pathTemplate: string, res: supertest.Response, status: number) => supertest.Response;

export function bulkContractTests(check: Check): void {
  describe('POST /scim/v2/Bulk', () => {
    it('answers 200 with a BulkResponse, successes and failures alike', async () => {
      const org = await newOrg();
      const res = check(
        'post',
        BULK,
        await org.scim.post('/Bulk', {
          schemas: [BULK_REQUEST],
          Operations: [
            { method: 'POST', path: '/Users', bulkId: 'a', data: userBody('a@example.com') },
            { method: 'POST', path: '/Users', bulkId: 'b', data: userBody('a@example.com') },
            { method: 'DELETE', path: '/Users/bulkId:a' },
          ],
        }),
        200,
      );
      expect(res.body.Operations.map((o: { status: string }) => o.status)).to.deep.equal(['201', '409', '204']);
    });

    it('answers 400, 401, 403, 413 (both limits), 415 and 500', async () => {
      const org = await newOrg();
      const auth = `Bearer ${org.scimToken}`;
      const post = () => api().post(BULK).set('Authorization', auth).set('Content-Type', 'application/scim+json');
      check('post', BULK, await post().send('{"schemas":[]}'), 400);
      check('post', BULK, await api().post(BULK).send({ Operations: [] }), 401);
      check('post', BULK, await api().post(BULK).set('Authorization', `Bearer ${org.adminToken}`).send({ Operations: [] }), 403);
      const { maxOperations, maxPayloadBytes } = h().config.bulk;
      const many = Array.from({ length: maxOperations + 1 }, () => ({ method: 'DELETE', path: '/Users/x' }));
      const tooMany = check('post', BULK, await post().send(JSON.stringify({ schemas: [BULK_REQUEST], Operations: many })), 413);
      expect(tooMany.body.detail).to.include(`maxOperations (${maxOperations})`);
      const padding = 'x'.repeat(maxPayloadBytes + 1);
      const tooLarge = check('post', BULK, await post().send(JSON.stringify({ schemas: [BULK_REQUEST], Operations: [], padding })), 413);
      expect(tooLarge.body.detail).to.include(`maxPayloadSize (${maxPayloadBytes})`);
      const latin1 = api().post(BULK).set('Authorization', auth).set('Content-Type', 'application/scim+json; charset=latin1');
      check('post', BULK, await latin1.send('{"Operations":[]}'), 415);

      const original = Object.getOwnPropertyDescriptor(BulkService.prototype, 'run')!;
      BulkService.prototype.run = async () => {
        throw new Error('simulated failure: internals must not leak');
      };
      try {
        const res = check('post', BULK, await post().send(JSON.stringify({ Operations: [] })), 500);
        expect(res.text).to.not.include('simulated failure');
      } finally {
        Object.defineProperty(BulkService.prototype, 'run', original);
      }
    });
  });
}
