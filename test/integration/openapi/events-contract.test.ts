import { api, newOrg, withToken } from '../../support/harness.js';
import { check } from '../../support/contract-coverage.js';

// The lifecycle events routes (SSF transmitter and the side API's stream list), held to
// openapi/openapi.json; every documented response is produced here.

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

describe('OpenAPI document: lifecycle events (SSF)', () => {
  it('metadata, JWKS, streams, status, verification and poll: every documented status', async () => {
    const org = await newOrg();
    const other = await newOrg();
    const a = withToken(org.adminToken);
    const scim = withToken(org.scimToken);
    check('get', '/.well-known/ssf-configuration', await api().get('/.well-known/ssf-configuration'), 200);
    check('get', '/ssf/jwks', await api().get('/ssf/jwks'), 200);

    const S = '/ssf/streams';
    const push = check('post', S, await a.post(S, { delivery: { method: PUSH, endpoint_url: 'http://127.0.0.1:9/none' }, events_requested: ['urn:ietf:params:scim:event:prov:delete'] }), 201);
    const id = push.body.stream_id as string;
    const poll = check('post', S, await a.post(S, { delivery: { method: POLL }, description: 'poller' }), 201);
    const pollId = poll.body.stream_id as string;
    check('post', S, await a.post(S, { delivery: { method: PUSH, endpoint_url: 'file:///etc/passwd' } }), 400);
    check('post', S, await api().post(S).send({}), 401);
    check('post', S, await scim.post(S, {}), 403);

    check('get', S, await a.get(`${S}?stream_id=${id}`), 200);
    check('get', S, await a.get(S), 200);
    check('get', S, await withToken(other.adminToken).get(`${S}?stream_id=${id}`), 404);
    check('get', S, await api().get(S), 401);
    check('get', S, await scim.get(S), 403);

    check('patch', S, await a.patch(S, { stream_id: id, description: 'renamed' }), 200);
    check('patch', S, await a.patch(S, { description: 'no id' }), 400);
    check('patch', S, await a.patch(S, { stream_id: 'nope' }), 404);
    check('put', S, await a.put(S, { stream_id: pollId, delivery: { method: POLL }, events_requested: [] }), 200);
    check('put', S, await a.put(S, { stream_id: 'nope' }), 404);
    check('put', S, await a.put(S, { events_requested: [] }), 400);

    const ST = '/ssf/status';
    check('get', ST, await a.get(`${ST}?stream_id=${id}`), 200);
    check('get', ST, await a.get(ST), 400);
    check('get', ST, await a.get(`${ST}?stream_id=nope`), 404);
    check('post', ST, await a.post(ST, { stream_id: id, status: 'paused', reason: 'test' }), 200);
    check('post', ST, await a.post(ST, { stream_id: id, status: 'sleeping' }), 400);
    check('post', ST, await a.post(ST, { stream_id: 'nope', status: 'enabled' }), 404);

    const V = '/ssf/verify';
    check('post', V, await a.post(V, { stream_id: id }), 409);
    check('post', V, await a.post(V, { stream_id: 'nope' }), 404);
    check('post', V, await a.post(V, { state: 'no stream' }), 400);
    check('post', V, await a.post(V, { stream_id: pollId, state: 'x' }), 204);

    const PL = '/ssf/poll/{streamId}';
    check('post', PL, await a.post(`/ssf/poll/${pollId}`, { returnImmediately: true, maxEvents: 5 }), 200);
    check('post', PL, await a.post(`/ssf/poll/${id}`, { returnImmediately: true }), 400);
    check('post', PL, await a.post('/ssf/poll/nope', { returnImmediately: true }), 404);

    const L = '/api/v1/event-streams';
    check('get', L, await a.get(L), 200);
    check('get', L, await api().get(L), 401);
    check('get', L, await scim.get(L), 403);
    const T = '/api/v1/event-streams/{id}/test';
    check('post', T, await a.post(`${L}/${pollId}/test`), 202);
    check('post', T, await a.post(`${L}/${id}/test`), 409);
    check('post', T, await a.post(`${L}/nope/test`), 404);
    const K = '/api/v1/event-streams/keys/rotate';
    check('post', K, await a.post(`${L}/keys/rotate`), 200);
    check('post', K, await api().post(`${L}/keys/rotate`), 401);
    check('post', K, await scim.post(`${L}/keys/rotate`), 403);

    check('delete', S, await a.delete(S), 400);
    check('delete', S, await a.delete(`${S}?stream_id=${id}`), 204);
    check('delete', S, await a.delete(`${S}?stream_id=${id}`), 404);
  });
});
