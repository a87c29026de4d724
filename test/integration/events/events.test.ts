import { expect } from 'chai';
import { createLogger } from '../../../src/logger.js';
import { EventService } from '../../../src/domain/events/event.service.js';
import { createRepositories } from '../../../src/store/repositories.js';
import { h, newOrg, PATCH_OP, userBody, type TestOrg } from '../../support/harness.js';
import { accept, admin, tokenFromLink } from '../admin/helpers.js';
import { api } from '../../support/harness.js';
import { Receiver, verifySet, type ReceivedSet } from './receiver.js';

const P = 'urn:ietf:params:scim:event:prov';
const ALL = [
  `${P}:create:full`,
  `${P}:put:full`,
  `${P}:patch:full`,
  `${P}:delete`,
  `${P}:activate`,
  `${P}:deactivate`,
];

async function pushStream(org: TestOrg, receiver: Receiver, events = ALL): Promise<string> {
  const res = await (await ssf(org)).post('/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiver.url, authorization_header: 'Bearer receiver-secret' },
    events_requested: events,
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.stream_id as string;
}

function ssf(org: TestOrg, token = org.adminToken) {
  return import('supertest').then(({ default: st }) => {
    const a = (t: import('supertest').Test) => t.set('Authorization', `Bearer ${token}`);
    return {
      get: (p: string) => a(st(h().app).get(p)),
      post: (p: string, b?: unknown) => a(st(h().app).post(p)).send((b ?? {}) as object),
      patch: (p: string, b?: unknown) => a(st(h().app).patch(p)).send((b ?? {}) as object),
      put: (p: string, b?: unknown) => a(st(h().app).put(p)).send((b ?? {}) as object),
      delete: (p: string) => a(st(h().app).delete(p)),
      /** no body at all (not even {}) */
      bare: (method: 'post' | 'put', p: string) => a(st(h().app)[method](p)),
    };
  });
}

function types(set: ReceivedSet): string[] {
  return Object.keys(set.claims.events).map((k) => k.replace(`${P}:`, ''));
}

async function drain(org: TestOrg): Promise<void> {
  await h().services.events.drain(org.id);
}

describe('Lifecycle events (RFC 9967 SETs over SSF streams)', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  it('serves the SSF metadata and a JWKS', async () => {
    const meta = (await (await ssf(await newOrg())).get('/.well-known/ssf-configuration').expect(200)).body;
    expect(meta.issuer).to.equal('https://roster.test');
    expect(meta.delivery_methods_supported).to.deep.equal(['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936']);
    for (const k of ['jwks_uri', 'configuration_endpoint', 'status_endpoint', 'verification_endpoint']) expect(meta[k]).to.match(/^https:\/\/roster\.test\/ssf\//);
    const jwks = (await (await ssf(await newOrg())).get('/ssf/jwks').expect(200)).body;
    expect(jwks.keys).to.be.an('array');
  });

  it('SCIM create, PUT, PATCH and DELETE each push one signed SET, in order, with the request id as txn and no password', async () => {
    const org = await newOrg();
    const streamId = await pushStream(org, receiver);
    const created = await org.scim.post('/Users', userBody('ev1@example.com', { password: 'S3cret-password!', externalId: 'ext-1' })).expect(201);
    const id = created.body.id as string;
    const put = await org.scim.put(`/Users/${id}`, userBody('ev1@example.com', { displayName: 'Ev One', externalId: 'ext-1' })).expect(200);
    const patch = await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }).expect(200);
    const del = await org.scim.delete(`/Users/${id}`).expect(204);
    await drain(org);

    const got = receiver.acked();
    expect(got.map(types)).to.deep.equal([['create:full'], ['put:full'], ['patch:full', 'deactivate'], ['delete']]);
    expect(got.map((s) => s.claims.txn)).to.deep.equal([created, put, patch, del].map((r) => r.headers['x-request-id']));
    for (const s of got) {
      expect(await verifySet((s as unknown as { token: string }).token)).to.equal(true);
      expect(s.header.typ).to.equal('secevent+jwt');
      expect(s.contentType).to.equal('application/secevent+jwt');
      expect(s.authorization).to.equal('Bearer receiver-secret');
      expect(s.claims.iss).to.equal('https://roster.test');
      expect(s.claims.aud).to.be.a('string');
      expect(s.claims.iat).to.be.a('number');
      expect(s.claims.sub_id).to.deep.equal({ format: 'scim', uri: `/Users/${id}`, id, externalId: 'ext-1' });
      expect(JSON.stringify(s.claims)).to.not.match(/S3cret|scrypt|passwordHash/);
    }
    const data = got[0]!.claims.events[`${P}:create:full`]!.data as Record<string, unknown>;
    expect(data.userName).to.equal('ev1@example.com');
    expect(data.id).to.equal(id);
    expect(got[1]!.claims.events[`${P}:put:full`]!.version).to.equal('W/"2"');
    expect(new Set(got.map((s) => s.jti)).size).to.equal(4);

    const list = (await admin(org).get('/event-streams').expect(200)).body.items;
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ id: streamId, status: 'enabled', backlog: 0, delivered: 4, lastError: null });
  });

  it('notice streams get the changed attribute names; a /Bulk request shares one txn', async () => {
    const org = await newOrg();
    await pushStream(org, receiver, [`${P}:create:notice`, `${P}:patch:notice`]);
    const bulk = await org.scim
      .post('/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: userBody('b1@example.com') },
          { method: 'POST', path: '/Users', bulkId: 'b', data: userBody('b2@example.com') },
        ],
      })
      .expect(200);
    const id = bulk.body.Operations[0].location.split('/').pop() as string;
    await org.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'B One' }] }).expect(200);
    await drain(org);
    const got = receiver.acked();
    expect(got.map(types)).to.deep.equal([['create:notice'], ['create:notice'], ['patch:notice']]);
    expect(got[0]!.claims.txn).to.equal(bulk.headers['x-request-id']);
    expect(got[1]!.claims.txn).to.equal(bulk.headers['x-request-id']);
    expect(got[2]!.claims.events[`${P}:patch:notice`]!.attributes).to.deep.equal(['displayName']);
    expect(got[0]!.claims.events[`${P}:create:notice`]).to.not.have.property('data');
  });

  it('side API create, edit, suspend, activate, delete, restore and permanent delete', async () => {
    const org = await newOrg();
    await pushStream(org, receiver);
    const id = (await admin(org).post('/users', { email: 'side@example.com', name: 'Side User' }).expect(201)).body.user.id as string;
    await admin(org).patch(`/users/${id}`, { name: 'Side Two' }).expect(200);
    await admin(org).post(`/users/${id}/suspend`).expect(200);
    await admin(org).post(`/users/${id}/activate`).expect(200);
    await admin(org).delete(`/users/${id}`).expect(204);
    await admin(org).post(`/users/${id}/restore`).expect(200);
    await admin(org).delete(`/users/${id}`).expect(204);
    await admin(org).delete(`/users/${id}/permanent`).expect(204);
    await drain(org);
    expect(receiver.acked().map(types)).to.deep.equal([
      ['create:full'],
      ['patch:full'],
      ['patch:full', 'deactivate'],
      ['patch:full', 'activate'],
      ['delete'],
      ['create:full', 'activate'],
      ['delete'],
    ]);
    for (const s of receiver.acked()) expect(s.claims.sub_id.uri).to.equal(`/Users/${id}`);
  });

  it('an invitation and its acceptance', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    await pushStream(org, receiver);
    await admin(org).post('/invitations', { email: 'inv@example.com', name: 'Inv Ited' }).expect(201);
    const messages = (await admin(org).get('/outbox').expect(200)).body.items as { text: string }[];
    await accept(tokenFromLink(messages[0]!.text)).expect(200);
    await drain(org);
    expect(receiver.acked().map(types)).to.deep.equal([['create:full'], ['patch:full', 'activate']]);
    const data = receiver.acked()[1]!.claims.events[`${P}:patch:full`]!.data as Record<string, unknown>;
    expect(JSON.stringify(data)).to.not.include('correct horse');
  });

  it('a bulk import: one create per invited row, all under the upload request as txn', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    await pushStream(org, receiver);
    const accepted = await api()
      .post('/api/v1/imports')
      .set('Authorization', `Bearer ${org.adminToken}`)
      .set('Content-Type', 'text/csv')
      .send('email,name\nim1@example.com,Im One\nim2@example.com,Im Two\nbad-address,Nope\n')
      .expect(202);
    await h().services.imports.whenDone(accepted.body.id as string);
    await drain(org);
    const got = receiver.acked();
    expect(got.map(types)).to.deep.equal([['create:full'], ['create:full']]);
    expect(got.map((s) => (s.claims.events[`${P}:create:full`]!.data as { userName: string }).userName)).to.deep.equal(['im1@example.com', 'im2@example.com']);
    for (const s of got) expect(s.claims.txn).to.equal(accepted.headers['x-request-id']);
  });

  it('retention purge sends nothing after the delete it follows (the user already left SCIM), and loses no pending delete', async () => {
    const org = await newOrg({ retentionDays: 1 });
    await pushStream(org, receiver);
    const id = (await org.scim.post('/Users', userBody('purge@example.com')).expect(201)).body.id as string;
    await org.scim.delete(`/Users/${id}`).expect(204);
    await h().services.events.drain('none'); // relayed (queued) now, before the clock moves
    h().clock.advance(2 * 86400_000);
    try {
      await h().services.users.purgeExpired(h().clock.now());
    } finally {
      h().clock.reset();
    }
    await drain(org);
    expect(receiver.acked().map(types)).to.deep.equal([['create:full'], ['delete']]);
  });

  it('group create with a member, member add and remove, rename and delete', async () => {
    const org = await newOrg();
    const u1 = (await org.scim.post('/Users', userBody('g1@example.com')).expect(201)).body.id as string;
    const u2 = (await org.scim.post('/Users', userBody('g2@example.com')).expect(201)).body.id as string;
    await pushStream(org, receiver, [`${P}:create:full`, `${P}:patch:notice`, `${P}:put:notice`, `${P}:delete`]);
    const g = (await org.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng', members: [{ value: u1 }] }).expect(201)).body.id as string;
    await org.scim.patch(`/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u2 }] }] }).expect(204);
    await org.scim.patch(`/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${u1}"]` }] }).expect(204);
    await org.scim.put(`/Groups/${g}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering' }).expect(200);
    await org.scim.delete(`/Groups/${g}`).expect(204);
    await drain(org);
    const got = receiver.acked();
    expect(got.map(types), JSON.stringify(got.map((g) => g.claims.events))).to.deep.equal([['create:full'], ['patch:notice'], ['patch:notice'], ['put:notice'], ['delete']]);
    for (const s of got) expect(s.claims.sub_id.uri).to.equal(`/Groups/${g}`);
    expect((got[0]!.claims.events[`${P}:create:full`]!.data as { members: { value: string }[] }).members.map((m) => m.value)).to.deep.equal([u1]);
    expect(got[1]!.claims.events[`${P}:patch:notice`]!.attributes).to.deep.equal(['members']);
    expect(got[3]!.claims.events[`${P}:put:notice`]!.attributes).to.deep.equal(['displayName']);
  });

  it('a receiver answering 503 three times then 202 gets every event, acknowledged once each, in order', async () => {
    const org = await newOrg();
    const streamId = await pushStream(org, receiver);
    receiver.script = [503, 503, 503];
    const worker = new EventService(createRepositories(h().store), h().clock, { ...h().config.events, backoffBaseMs: 1, backoffMaxMs: 4 }, createLogger('silent'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await org.scim.post('/Users', userBody(`r${i}@example.com`)).expect(201)).body.id as string);
    await h().services.events.drain('none'); // relay only
    await worker.drain(org.id);
    const acked = receiver.acked();
    expect(acked.map((s) => s.claims.sub_id.id)).to.deep.equal(ids);
    expect(new Set(acked.map((s) => s.jti)).size).to.equal(3);
    expect(receiver.received.filter((r) => r.status === 503).map((r) => r.jti)).to.deep.equal([acked[0]!.jti, acked[0]!.jti, acked[0]!.jti]);
    const listed = (await admin(org).get('/event-streams').expect(200)).body.items[0];
    expect(listed).to.include({ id: streamId, backlog: 0, delivered: 3, retried: 3 });
    expect(listed.lastError).to.match(/HTTP 503/);
  });

  it('a receiver that keeps failing past the age limit pauses the stream with the error; resuming delivers what was kept', async () => {
    const org = await newOrg();
    const streamId = await pushStream(org, receiver);
    receiver.script = Array(1000).fill(500) as number[];
    const worker = new EventService(createRepositories(h().store), h().clock, { ...h().config.events, backoffBaseMs: 1, backoffMaxMs: 2, maxAgeMs: 30 }, createLogger('silent'));
    await org.scim.post('/Users', userBody('fail@example.com')).expect(201);
    await h().services.events.drain('none');
    await worker.drain(org.id);
    const client = await ssf(org);
    const status = (await client.get(`/ssf/status?stream_id=${streamId}`).expect(200)).body;
    expect(status.status).to.equal('paused');
    const listed = (await admin(org).get('/event-streams').expect(200)).body.items[0];
    expect(listed).to.include({ status: 'paused', backlog: 1 });
    expect(listed.lastError).to.match(/HTTP 500/);
    receiver.script = [];
    await client.post('/ssf/status', { stream_id: streamId, status: 'enabled' }).expect(200);
    await worker.drain(org.id);
    expect(receiver.acked()).to.have.length(1);
  });

  it('a delivery cut off mid-flight (worker stopped) is sent again by a new instance with the same jti', async () => {
    const org = await newOrg();
    await pushStream(org, receiver);
    await org.scim.post('/Users', userBody('crash@example.com')).expect(201);
    await h().services.events.drain('none');
    receiver.holdNext = true;
    const first = new EventService(createRepositories(h().store), h().clock, h().config.events, createLogger('silent'));
    first.start();
    while (!receiver.held) await new Promise((r) => setImmediate(r));
    await first.stop(); // the push in flight is abandoned: nothing was acknowledged
    const second = new EventService(createRepositories(h().store), h().clock, h().config.events, createLogger('silent'));
    await second.drain(org.id);
    expect(receiver.acked()).to.have.length(1);
    const again = receiver.acked()[0]!;
    expect(again.jti).to.equal(receiver.heldJti);
    expect(again.claims.sub_id.uri).to.match(/^\/Users\//);
    const backlog = (await admin(org).get('/event-streams').expect(200)).body.items[0].backlog;
    expect(backlog).to.equal(0);
  });

  it('events left inside a document by a crash before the relay are relayed by the recovery sweep', async () => {
    const org = await newOrg();
    await pushStream(org, receiver);
    const events = h().services.events as unknown as { notify: unknown };
    const notify = events.notify;
    events.notify = () => undefined; // as if the process died right after the write
    try {
      await org.scim.post('/Users', userBody('orphan@example.com')).expect(201);
    } finally {
      events.notify = notify;
    }
    const stored = await h().services.users.repo.pendingEventsOf((await org.scim.get('/Users?filter=userName eq "orphan@example.com"').expect(200)).body.Resources[0].id);
    expect(stored?.pendingEvents).to.have.length(1);
    const fresh = new EventService(createRepositories(h().store), h().clock, h().config.events, createLogger('silent'));
    await fresh.drain(org.id);
    expect(receiver.acked().map(types)).to.deep.equal([['create:full']]);
    // The sweep removed it from the document once queued; a second sweep sends nothing again.
    await fresh.drain(org.id);
    expect(receiver.acked()).to.have.length(1);
  });

  it('a changed ROSTER_EVENTS_KEY pauses a stream whose authorization_header cannot be read, and makes a new signing key', async () => {
    const org = await newOrg();
    const streamId = await pushStream(org, receiver);
    await org.scim.post('/Users', userBody('kek@example.com')).expect(201);
    await h().services.events.drain('none');
    const other = new EventService(createRepositories(h().store), h().clock, { ...h().config.events, key: Buffer.alloc(32, 7).toString('base64') }, createLogger('silent'));
    await other.drain(org.id);
    expect(receiver.received).to.have.length(0);
    const status = (await (await ssf(org)).get(`/ssf/status?stream_id=${streamId}`).expect(200)).body;
    expect(status.status).to.equal('paused');
    expect(status.reason).to.match(/authorization_header cannot be decrypted/);
    const original = (await (await h().services.events.keys()).active(org.id)).kid;
    const replaced = (await (await other.keys()).active(org.id)).kid; // unreadable under the other key: a new one
    expect(replaced).to.not.equal(original);
    const published = (await (await other.keys()).jwks()).keys.map((k) => k.kid);
    expect(published).to.include(replaced);
  });

  it('a failed change emits nothing', async () => {
    const org = await newOrg();
    await pushStream(org, receiver);
    await org.scim.post('/Users', userBody('dup@example.com')).expect(201);
    await org.scim.post('/Users', userBody('dup@example.com')).expect(409);
    await drain(org);
    expect(receiver.acked()).to.have.length(1);
  });

  it('poll delivery: maxEvents, returnImmediately, ack', async () => {
    const org = await newOrg();
    const client = await ssf(org);
    const created = (await client.post('/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' }, events_requested: ALL }).expect(201)).body;
    expect(created.delivery.endpoint_url).to.equal(`https://roster.test/ssf/poll/${created.stream_id}`);
    for (let i = 0; i < 3; i++) await org.scim.post('/Users', userBody(`p${i}@example.com`)).expect(201);
    await drain(org);
    const first = (await client.post(`/ssf/poll/${created.stream_id}`, { maxEvents: 2, returnImmediately: true }).expect(200)).body;
    expect(Object.keys(first.sets)).to.have.length(2);
    expect(first.moreAvailable).to.equal(true);
    for (const t of Object.values(first.sets) as string[]) expect(await verifySet(t)).to.equal(true);
    const second = (await client.post(`/ssf/poll/${created.stream_id}`, { ack: Object.keys(first.sets), returnImmediately: true }).expect(200)).body;
    expect(Object.keys(second.sets)).to.have.length(1);
    const third = (await client.post(`/ssf/poll/${created.stream_id}`, { ack: Object.keys(second.sets), returnImmediately: true }).expect(200)).body;
    expect(third).to.deep.equal({ sets: {}, moreAvailable: false });
  });

  it('verification and the side API test send deliver a verification SET', async () => {
    const org = await newOrg();
    const streamId = await pushStream(org, receiver);
    const client = await ssf(org);
    await client.post('/ssf/verify', { stream_id: streamId, state: 'abc' }).expect(204);
    await admin(org).post(`/event-streams/${streamId}/test`).expect(202);
    await drain(org);
    const got = receiver.acked();
    expect(got).to.have.length(2);
    expect(got[0]!.claims.events['https://schemas.openid.net/secevent/ssf/event-type/verification']).to.deep.equal({ state: 'abc' });
    expect(got[0]!.claims.sub_id).to.deep.equal({ format: 'opaque', id: streamId });
  });

  it('names a missing stream_id in a 400 problem; a stream or poll request without a body takes the defaults', async () => {
    const org = await newOrg();
    const client = await ssf(org);
    const refused: [string, import('supertest').Test][] = [
      ['PUT with a body', client.put('/ssf/streams', { events_requested: [] })],
      ['PUT without a body', client.bare('put', '/ssf/streams')],
      ['verify with a body', client.post('/ssf/verify', { state: 'x' })],
      ['verify without a body', client.bare('post', '/ssf/verify')],
      ['DELETE', client.delete('/ssf/streams?stream_id=')],
      ['status', client.get('/ssf/status?stream_id=')],
    ];
    for (const [what, request] of refused) {
      const res = await request;
      expect(res.status, what).to.equal(400);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body.detail).to.match(/stream_id/);
    }
    // openapi/openapi.json: both bodies are optional (SSF 1.0 8.1.1.1, RFC 8936 2.4).
    const bare = (await client.bare('post', '/ssf/streams').expect(201)).body;
    expect(bare.delivery.method).to.equal('urn:ietf:rfc:8936');
    expect(bare.events_delivered).to.deep.equal([]);
    const created = (await client.post('/ssf/streams', { events_requested: ALL }).expect(201)).body;
    await org.scim.post('/Users', userBody('bare-poll@example.com')).expect(201);
    await drain(org);
    // A SET is waiting, so the long poll (no returnImmediately) answers at once.
    const polled = (await client.bare('post', `/ssf/poll/${created.stream_id}`).expect(200)).body;
    expect(Object.keys(polled.sets)).to.have.length(1);
  });

  it('stream CRUD, status and audit; another organization sees 404 everywhere', async () => {
    const org = await newOrg();
    const other = await newOrg();
    const streamId = await pushStream(org, receiver);
    const mine = await ssf(org);
    const theirs = await ssf(other);
    expect((await mine.get(`/ssf/streams?stream_id=${streamId}`).expect(200)).body.events_delivered).to.deep.equal(ALL);
    expect((await mine.get('/ssf/streams').expect(200)).body).to.have.length(1);
    await theirs.get(`/ssf/streams?stream_id=${streamId}`).expect(404);
    expect((await theirs.get('/ssf/streams').expect(200)).body).to.deep.equal([]);
    await theirs.patch('/ssf/streams', { stream_id: streamId, events_requested: [] }).expect(404);
    await theirs.get(`/ssf/status?stream_id=${streamId}`).expect(404);
    await theirs.post('/ssf/status', { stream_id: streamId, status: 'disabled' }).expect(404);
    await theirs.post('/ssf/verify', { stream_id: streamId }).expect(404);
    await theirs.delete(`/ssf/streams?stream_id=${streamId}`).expect(404);
    await theirs.post(`/ssf/poll/${streamId}`, { returnImmediately: true }).expect(404);
    await admin(other).post(`/event-streams/${streamId}/test`).expect(404);

    const patched = (await mine.patch('/ssf/streams', { stream_id: streamId, events_requested: [`${P}:delete`, 'urn:example:unknown'] }).expect(200)).body;
    expect(patched.events_requested).to.deep.equal([`${P}:delete`, 'urn:example:unknown']);
    expect(patched.events_delivered).to.deep.equal([`${P}:delete`]);
    expect(JSON.stringify(patched)).to.not.include('receiver-secret');
    await mine.post('/ssf/status', { stream_id: streamId, status: 'paused', reason: 'maintenance' }).expect(200);
    expect((await mine.get(`/ssf/status?stream_id=${streamId}`).expect(200)).body).to.deep.equal({ stream_id: streamId, status: 'paused', reason: 'maintenance' });
    await mine.delete(`/ssf/streams?stream_id=${streamId}`).expect(204);
    await mine.get(`/ssf/streams?stream_id=${streamId}`).expect(404);
    const actions = ((await admin(org).get('/audit?userId=' + streamId).expect(200)).body.items as { action: string }[]).map((e) => e.action);
    expect(actions).to.include.members(['event_stream.created', 'event_stream.updated', 'event_stream.deleted']);
  });

  it('refuses an endpoint_url that is not http(s) or points at Roster itself, with a clear error', async () => {
    const org = await newOrg();
    const client = await ssf(org);
    const ftp = await client.post('/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'ftp://example.com/x' } }).expect(400);
    expect(ftp.body.detail).to.match(/must be http or https/);
    const self = await client.post('/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'https://roster.test/api/v1/users' } }).expect(400);
    expect(self.body.detail).to.match(/points at Roster itself/);
    const bad = await client.post('/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: 'not a url' } }).expect(400);
    expect(bad.body.detail).to.match(/not an absolute URL/);
    expect(String(bad.headers['content-type'])).to.match(/problem\+json/);
  });

  it('key rotation keeps the old public key published while SETs signed with it wait', async () => {
    const org = await newOrg();
    await pushStream(org, receiver);
    await org.scim.post('/Users', userBody('rot@example.com')).expect(201);
    await h().services.events.drain('none');
    const client = await ssf(org);
    const before = (await client.get('/ssf/jwks').expect(200)).body.keys.map((k: { kid: string }) => k.kid) as string[];
    const rotated = (await admin(org).post('/event-streams/keys/rotate').expect(200)).body.kid as string;
    const during = (await client.get('/ssf/jwks').expect(200)).body.keys.map((k: { kid: string }) => k.kid) as string[];
    expect(during).to.include(rotated);
    expect(during).to.include.members(before);
    await drain(org);
    expect(await verifySet((receiver.acked()[0] as unknown as { token: string }).token)).to.equal(true);
  });
});
