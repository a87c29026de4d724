import { hostname } from 'node:os';
import { expect } from 'chai';
import { h, newOrg, userBody, type TestOrg } from '../../support/harness.js';
import { csvFile } from '../../support/import-files.js';
import { createLogger } from '../../../src/logger.js';
import { createRepositories } from '../../../src/store/repositories.js';
import { ImportService, type ImportServiceOptions } from '../../../src/domain/imports/import.service.js';
import type { InvitationService } from '../../../src/domain/invitations/invitation.service.js';
import type { RequestContext } from '../../../src/domain/context.js';
import type { ImportResultRecord } from '../../../src/store/import.repository.js';
import { admin } from './helpers.js';
import { idFor } from '../../../src/domain/tokens.js';

const LINK_BASE = 'https://roster.test';

function ctxOf(org: TestOrg): RequestContext {
  return { orgId: org.id, actor: { type: 'token', id: 'tok-test', name: 'admin' }, requestId: 'req-import-test', scimBaseUrl: `${LINK_BASE}/scim/v2` };
}

/** Another "process": its own runner on the same database (the harness's services stand for the next start). */
function otherProcess(options: Partial<ImportServiceOptions> = {}, invitations: InvitationService = h().services.invitations): ImportService {
  const s = h().services;
  return new ImportService(createRepositories(h().store), h().clock, invitations, s.audit, createLogger('silent'), {
    batchSize: 3,
    concurrency: 1,
    maxAttempts: 3,
    ...options,
  });
}

/** A job that a process accepted and then died before running: stored file, state queued. */
async function queuedJob(org: TestOrg, file: string): Promise<string> {
  const parked = otherProcess();
  await parked.stop();
  const view = await parked.submit(ctxOf(org), { format: 'csv', data: Buffer.from(file) }, LINK_BASE);
  expect(view.state).to.equal('queued');
  return view.id;
}

async function job(org: TestOrg, id: string) {
  return (await admin(org).get(`/jobs/${id}?errorsCount=1000`).expect(200)).body as {
    state: string;
    total: number;
    processed: number;
    succeeded: number;
    failed: number;
    failureReason?: string;
    errors: { row: number; code: string; reason: string }[];
  };
}

async function userNames(org: TestOrg): Promise<string[]> {
  const res = await org.scim.get('/Users?count=1000').expect(200);
  return (res.body.Resources as { userName: string }[]).map((u) => u.userName).sort();
}

async function auditActions(org: TestOrg): Promise<string[]> {
  const res = await admin(org).get('/audit?limit=200').expect(200);
  return (res.body.items as { action: string }[]).map((e) => e.action);
}

const sevenRows = csvFile([
  ['email'],
  ['a@example.com'], // 2
  ['b@example.com'], // 3
  ['bad@other.org'], // 4
  ['c@example.com'], // 5
  ['d@example.com'], // 6
  ['A@example.com'], // 7: duplicate of row 2
  ['e@example.com'], // 8
]);

describe('Bulk invitations: crash safety and resume', () => {
  afterEach(() => h().clock.reset());

  it('resumes a job a crash cut off mid-batch: rows invited just before the crash count as invited, nobody is invited twice', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const id = await queuedJob(org, sevenRows);
    const repo = h().services.imports.repo;
    const invitations = h().services.invitations;
    const dead = 'crashed-host:4242:dead';
    const inAMinute = () => new Date(Date.now() + 60_000);
    expect(await repo.claim(org.id, id, dead, new Date(), inAMinute())).to.not.equal(null);
    const inviteRow = async (email: string, row: number, key = true) => {
      const sent = await invitations.invite(ctxOf(org), { email }, LINK_BASE, { jobId: id, row });
      if (key) await repo.saveKeys([{ _id: `${id}:${email.toLowerCase()}`, orgId: org.id, jobId: id, row, userId: sent.userId }]);
      return sent.userId;
    };
    const result = (row: number, email: string, userId?: string): ImportResultRecord =>
      userId
        ? { _id: `${id}:${row}`, orgId: org.id, jobId: id, row, email, outcome: 'invited', userId }
        : { _id: `${id}:${row}`, orgId: org.id, jobId: id, row, email, outcome: 'failed', code: 'domainNotAllowed', reason: 'x' };
    // What the dead run did. Batch one (rows 2-4) ended with its results and checkpoint...
    const a = await inviteRow('a@example.com', 2);
    const b = await inviteRow('b@example.com', 3);
    await repo.saveResults([result(2, 'a@example.com', a), result(3, 'b@example.com', b), result(4, 'bad@other.org')]);
    expect(await repo.checkpoint(org.id, id, dead, { nextRow: 5, processed: 3, succeeded: 2, failed: 1 }, inAMinute())).to.equal(true);
    // ...batch two had invited row 5, and row 6 just before the crash (its key never written); a
    // stale result past the checkpoint was left too.
    await inviteRow('c@example.com', 5);
    await inviteRow('d@example.com', 6, false);
    await repo.saveResults([result(5, 'c@example.com')]);
    // The dead run's lease runs out; the next start sweeps.
    h().clock.advance(61_000);
    const sweep = await h().services.imports.resumeInterrupted();
    expect(sweep.taken).to.be.at.least(1);
    await h().services.imports.whenIdle();

    const done = await job(org, id);
    expect(done).to.include({ state: 'completed', total: 7, processed: 7, succeeded: 5, failed: 2 });
    expect(done.errors.map((e) => [e.row, e.code])).to.deep.equal([
      [4, 'domainNotAllowed'],
      [7, 'duplicateInFile'],
    ]);
    expect(done.errors[1]!.reason).to.equal('duplicate of row 2');
    expect(await userNames(org)).to.deep.equal(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']);
    expect(await h().store.models.Invitation.collection.countDocuments({ orgId: org.id, jobId: id })).to.equal(5);
    expect((await admin(org).get('/outbox').expect(200)).body.total).to.equal(5);
    expect(await auditActions(org)).to.include.members(['import.started', 'import.resumed', 'import.completed']);
  });

  it('finishes a row whose user a crash left without its invitation, instead of calling it a duplicate', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const id = await queuedJob(org, sevenRows);
    const dead = 'crashed-host:4242:dead';
    expect(await h().services.imports.repo.claim(org.id, id, dead, new Date(), new Date(Date.now() + 60_000))).to.not.equal(null);
    // The dead run created row 2's user (seat and all) and died before storing its invitation.
    const orphan = await h().services.users.createInvited(
      ctxOf(org),
      { userName: 'a@example.com', emails: [{ value: 'a@example.com', primary: true }] },
      h().clock.now(),
      idFor(`import:${id}:2`),
    );
    h().clock.advance(61_000);
    await h().services.imports.resumeInterrupted();
    await h().services.imports.whenIdle();

    const done = await job(org, id);
    expect(done).to.include({ state: 'completed', processed: 7, succeeded: 5, failed: 2 });
    expect(done.errors.map((e) => e.code)).to.deep.equal(['domainNotAllowed', 'duplicateInFile']);
    // The user got its invitation (resendable, with a link in the outbox), and no second user.
    expect((await admin(org).get(`/invitations/${orphan._id}`).expect(200)).body.state).to.equal('pending');
    const outbox = (await admin(org).get('/outbox').expect(200)).body.items as { to: string }[];
    expect(outbox.filter((m) => m.to === 'a@example.com')).to.have.length(1);
    expect(await userNames(org)).to.deep.equal(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']);
    expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(5);
  });

  it('runs a job left queued by a process that died before starting it', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const id = await queuedJob(org, sevenRows);
    await h().services.imports.resumeInterrupted();
    await h().services.imports.whenIdle();
    const done = await job(org, id);
    expect(done).to.include({ state: 'completed', processed: 7, succeeded: 5, failed: 2 });
    expect(await auditActions(org)).to.not.include('import.resumed');
  });

  it('a graceful stop saves the checkpoint after the row in hand and frees the job; the next start finishes it', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const real = h().services.invitations;
    let sent = 0;
    let stopping: Promise<void> | undefined;
    // Stops its process right after the third invitation (row 5), the first row of the second batch of three.
    const stopAfterThree = {
      invite: async (...args: Parameters<InvitationService['invite']>) => {
        const out = await real.invite(...args);
        sent += 1;
        if (sent === 3) stopping = first.stop();
        return out;
      },
      openBatch: real.openBatch.bind(real),
      flushBatch: real.flushBatch.bind(real),
      discardBatch: real.discardBatch.bind(real),
    } as unknown as InvitationService;
    const first = otherProcess({ batchSize: 3 }, stopAfterThree);
    const view = await first.submit(ctxOf(org), { format: 'csv', data: Buffer.from(sevenRows) }, LINK_BASE);
    await first.whenDone(view.id);
    await stopping;
    const paused = await h().store.models.Job.collection.findOne({ _id: view.id as never });
    expect(paused).to.include({ state: 'running', processed: 4, succeeded: 3, failed: 1, nextRow: 6, leaseOwner: null, attempts: 0 });

    await h().services.imports.resumeInterrupted();
    await h().services.imports.whenIdle();
    const done = await job(org, view.id);
    expect(done).to.include({ state: 'completed', processed: 7, succeeded: 5, failed: 2 });
    expect(await userNames(org)).to.have.length(5);
  });

  it('a batch written together: an address another request takes between its lookups and its write is a duplicate, its seat goes back', async () => {
    const org = await newOrg({ domains: ['example.com'], seatLimit: 6 });
    const real = h().services.invitations;
    let raced = false;
    // Right before the first batch (rows 2-4) is written, a provider creates b@example.com.
    const racing = {
      invite: real.invite.bind(real),
      openBatch: real.openBatch.bind(real),
      discardBatch: real.discardBatch.bind(real),
      flushBatch: async (...args: Parameters<InvitationService['flushBatch']>) => {
        if (!raced) {
          raced = true;
          await org.scim.post('/Users', userBody('b@example.com')).expect(201);
        }
        return real.flushBatch(...args);
      },
    } as unknown as InvitationService;
    const runner = otherProcess({ batchSize: 3 }, racing);
    const view = await runner.submit(ctxOf(org), { format: 'csv', data: Buffer.from(sevenRows) }, LINK_BASE);
    await runner.whenDone(view.id);
    const done = await job(org, view.id);
    expect(done).to.include({ state: 'completed', processed: 7, succeeded: 4, failed: 3 });
    expect(done.errors.map((e) => [e.row, e.code, e.reason])).to.deep.equal([
      [3, 'duplicate', 'duplicate: a user with this email already exists'],
      [4, 'domainNotAllowed', done.errors[1]!.reason],
      [7, 'duplicateInFile', 'duplicate of row 2'],
    ]);
    expect(await userNames(org)).to.deep.equal(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']);
    expect(await h().store.models.Invitation.collection.countDocuments({ orgId: org.id, jobId: view.id })).to.equal(4);
    expect((await admin(org).get('/outbox').expect(200)).body.total).to.equal(4);
    // Five users hold a seat: the seat the batch took for row 3 went back.
    expect((await admin(org).get('/seats').expect(200)).body.used).to.equal(5);
  });

  it('marks a job failed, with the reason, when its stored file is gone', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const id = await queuedJob(org, sevenRows);
    await h().services.imports.repo.removeFile(org.id, id);
    await h().services.imports.resumeInterrupted();
    await h().services.imports.whenIdle();
    const done = await job(org, id);
    expect(done.state).to.equal('failed');
    expect(done.failureReason).to.match(/the uploaded file is no longer stored/);
    expect(await userNames(org)).to.deep.equal([]);
    expect(await auditActions(org)).to.include('import.failed');
  });

  it('marks a job failed once it was cut off as many times as ROSTER_IMPORT_MAX_ATTEMPTS allows', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const id = await queuedJob(org, sevenRows);
    const maxAttempts = h().config.imports.maxAttempts;
    await h().store.models.Job.collection.updateOne(
      { _id: id as never },
      { $set: { state: 'running', attempts: maxAttempts, nextRow: 5, leaseOwner: 'gone-host:1:x', leaseUntil: new Date(Date.now() - 1000) } },
    );
    await h().services.imports.resumeInterrupted();
    await h().services.imports.whenIdle();
    const done = await job(org, id);
    expect(done.state).to.equal('failed');
    expect(done.failureReason).to.equal(`the import was interrupted ${maxAttempts} times (last before row 5); giving up`);
    expect(await h().store.models.ImportChunk.collection.countDocuments({ jobId: id })).to.equal(0);
  });

  it('leaves a job a live run holds to it, takes it over once its lease runs out, or at once when its process is gone', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const held = await queuedJob(org, sevenRows);
    const jobs = h().store.models.Job.collection;
    await jobs.updateOne({ _id: held as never }, { $set: { state: 'running', started: new Date(), leaseOwner: 'other-host:77:abc', leaseUntil: new Date(Date.now() + 60_000) } });
    expect(await h().services.imports.resumeInterrupted()).to.deep.equal({ taken: 0, left: 1 });
    expect((await job(org, held)).state).to.equal('running');
    h().clock.advance(61_000);
    expect((await h().services.imports.resumeInterrupted()).taken).to.equal(1);
    await h().services.imports.whenIdle();
    expect((await job(org, held)).state).to.equal('completed');

    // A lease of a process of this host that no longer exists (pid beyond any pid_max) is not waited for.
    h().clock.reset();
    const org2 = await newOrg({ domains: ['example.com'] });
    const orphan = await queuedJob(org2, sevenRows);
    await jobs.updateOne({ _id: orphan as never }, { $set: { state: 'running', leaseOwner: `${hostname()}:4194303:gone`, leaseUntil: new Date(Date.now() + 60_000) } });
    expect((await h().services.imports.resumeInterrupted()).taken).to.equal(1);
    await h().services.imports.whenIdle();
    expect((await job(org2, orphan)).state).to.equal('completed');
  });

  it('an internal failure (retried once) ends the job as failed without leaking it; the rows before it stay done', async () => {
    const org = await newOrg({ domains: ['example.com'] });
    const real = h().services.invitations;
    const failOnC = {
      invite: async (...args: Parameters<InvitationService['invite']>) => {
        if (args[1].email === 'c@example.com') throw new Error('simulated failure: internals must not leak');
        return real.invite(...args);
      },
      openBatch: real.openBatch.bind(real),
      flushBatch: real.flushBatch.bind(real),
      discardBatch: real.discardBatch.bind(real),
    } as unknown as InvitationService;
    const runner = otherProcess({ batchSize: 2 }, failOnC);
    const view = await runner.submit(ctxOf(org), { format: 'csv', data: Buffer.from(sevenRows) }, LINK_BASE);
    await runner.whenDone(view.id);
    const done = await job(org, view.id);
    expect(done.state).to.equal('failed');
    expect(done.failureReason).to.match(/^an internal error stopped the import/);
    expect(done.failureReason).to.not.include('simulated');
    expect(done).to.include({ processed: 3, succeeded: 2, failed: 1 });
    expect(await userNames(org)).to.deep.equal(['a@example.com', 'b@example.com']);
  });
});
