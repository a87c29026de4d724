import { runWithExtensions, type ExtensionDef } from '../../scim/extensions.js';
import type { Repositories } from '../../store/repositories.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationRepository } from '../../store/organization.repository.js';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditAction, AuditChange } from '../../store/audit.repository.js';
import {
  ImportRepository,
  MissingFileError,
  type ImportKeyRecord,
  type ImportResultRecord,
  type JobRecord,
} from '../../store/import.repository.js';
import type { OrganizationRecord } from '../../store/organization.repository.js';
import { badRequest, notFound, ScimError } from '../../scim/errors.js';
import type { Actor, Clock, RequestContext } from '../context.js';
import { inviteInput, type InvitationBatch, type InvitationService, type InviteInput } from '../invitations/invitation.service.js';
import { domainOf, emailDomainViolation } from '../rules/email-domain.js';
import { newId } from '../../ids.js';
import { inspectFile, readRows } from './read-rows.js';
import { clip, ImportFileError, SourceReadError, type ImportFormat, type SourceRow } from './rows.js';
import { noObserver, type Observer } from '../../metrics.js';

/** Why a row was not invited; `reason` says it in words, naming the field, row or rule at fault. */
export const ROW_ERROR_CODES = [
  'invalidRow',
  'invalidEmail',
  'invalidValue',
  'domainNotAllowed',
  'duplicateInFile',
  'duplicate',
  'seatLimit',
] as const;
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

export interface ImportUpload {
  format: ImportFormat;
  fileName?: string | undefined;
  data: Buffer;
}

export interface JobErrorView {
  row: number;
  email: string;
  code: RowErrorCode;
  reason: string;
}

export interface JobView {
  id: string;
  kind: JobRecord['kind'];
  state: JobRecord['state'];
  format: ImportFormat;
  fileName?: string;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  created: string;
  started?: string;
  finished?: string;
  failureReason?: string;
  /** 1-based position of `errors[0]` among the job's failed rows (in row order). */
  errorsStartIndex: number;
  errors: JobErrorView[];
}

export interface ErrorPage {
  startIndex: number;
  count: number;
}

export interface ImportServiceOptions {
  /** Rows between two checkpoints. */
  batchSize: number;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** Runs a job may start, crashes included, before it is marked failed. */
  maxAttempts: number;
  /** How long a run's claim on a job holds without renewal; another process may take the job after it. */
  leaseMs?: number;
  /** How often `start()` sweeps for unfinished jobs (default: leaseMs). */
  sweepIntervalMs?: number;
}

const DEFAULT_LEASE_MS = 60_000;
/** The most emails a stored result or error view repeats from the file. */
const MAX_EMAIL_CHARS = 320;
const SWEEP_LIMIT = 1000;

/** The runner acts for the uploader when it resumes or ends a job on its own. */
const RUNNER: Actor = { type: 'system', id: 'import-runner', name: 'bulk import runner' };

/** The run was asked to stop (shutdown): progress is saved and the job stays resumable. */
class Paused extends Error {}
/** Another run holds the job now (this one's lease ran out): this run must not write anything more. */
class LeaseLost extends Error {}
/** The job cannot go on; `reason` is shown to the admin. */
class JobAbort extends Error {}

function toView(job: JobRecord, errors: ImportResultRecord[], startIndex: number): JobView {
  return {
    id: job._id,
    kind: job.kind,
    state: job.state,
    format: job.format,
    ...(job.fileName !== undefined ? { fileName: job.fileName } : {}),
    total: job.total,
    processed: job.processed,
    succeeded: job.succeeded,
    failed: job.failed,
    created: job.created.toISOString(),
    ...(job.started ? { started: job.started.toISOString() } : {}),
    ...(job.finished ? { finished: job.finished.toISOString() } : {}),
    ...(job.failureReason ? { failureReason: job.failureReason } : {}),
    errorsStartIndex: startIndex,
    errors: errors.map((e) => ({ row: e.row, email: e.email, code: (e.code ?? 'invalidValue') as RowErrorCode, reason: e.reason ?? '' })),
  };
}

interface Progress {
  nextRow: number;
  processed: number;
  succeeded: number;
  failed: number;
}

/**
 * Bulk invitations (docs/behaviour.md "Side API": invite many from a CSV, XLSX or JSON file as a job with
 * progress and a per-row report).
 *
 * - Upload: the whole file is parsed once (400 when it does not parse or has no email column), then
 *   stored in the database in pieces and a `queued` job is created; the answer does not wait for rows.
 * - Run (in this process, `concurrency` jobs at once): the stored file is streamed through its parser
 *   and rows go through InvitationService.invite, the same rules as a single invitation, one after
 *   the other in file order, so when the seats run out it is the tail of the file that says so.
 *   The rows of a batch are invited into an InvitationService batch (openBatch): the rules apply
 *   per row at once, the writes (users, links, invitations, messages, audit) go to the database
 *   together at the batch's checkpoint (flushBatch), before its results, keys and counters; memory
 *   holds one batch, never the file or the report.
 * - A bad row is a result, never an end: only an internal failure (after one retry) or an unreadable
 *   stored file ends a job early, as `failed` with a reason.
 * - Crash safety: a run holds a renewable lease on its job. `resumeInterrupted()` (at start and then
 *   periodically) takes over jobs whose run is gone and continues after the checkpoint; rows past it
 *   that the dead run had invited are recognized by their invitation's jobId/jobRow, so a resume
 *   neither invites twice nor reports its own invitation as a duplicate. A job whose file is gone, or
 *   that was cut off `maxAttempts` times, is marked failed: no job stays running forever.
 * - Re-uploading a file invites nobody twice: the uniqueness rule reports each row as a duplicate.
 */
export class ImportService {
  private readonly organizations: OrganizationRepository;
  readonly repo: ImportRepository;
  /** This process's name on the leases it holds: host, pid and an instance id. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly options: Required<ImportServiceOptions>;
  private readonly tracked = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private stopping = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly invitations: InvitationService,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    options: ImportServiceOptions,
    private readonly observer: Observer = noObserver,
  ) {
    this.repo = repos.imports;
    this.organizations = repos.organizations;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.options = { ...options, leaseMs, sweepIntervalMs: options.sweepIntervalMs ?? leaseMs };
  }

  /** The organization's custom schema extensions (set by app.ts; none by default). */
  extensionsFor: (orgId: string) => Promise<ExtensionDef[]> = async () => [];

  // ---- the API ----

  /** Checks and stores the file, creates a queued job and starts it in the background. */
  async submit(ctx: RequestContext, upload: ImportUpload, linkBase: string): Promise<JobView> {
    let rows: number;
    try {
      rows = (await inspectFile(upload.format, upload.data)).rows;
    } catch (err) {
      if (err instanceof ImportFileError) throw badRequest(err.scimType, err.message);
      throw err;
    }
    const id = newId();
    const now = this.clock.now();
    const fileChunks = await this.repo.saveFile(ctx.orgId, id, upload.data);
    const job: JobRecord = {
      _id: id,
      orgId: ctx.orgId,
      kind: 'invitations.import',
      state: 'queued',
      format: upload.format,
      ...(upload.fileName !== undefined ? { fileName: upload.fileName } : {}),
      fileBytes: upload.data.length,
      fileSha256: createHash('sha256').update(upload.data).digest('hex'),
      fileChunks,
      total: rows,
      processed: 0,
      succeeded: 0,
      failed: 0,
      nextRow: 0,
      attempts: 0,
      leaseOwner: null,
      leaseUntil: null,
      actor: ctx.actor,
      requestId: ctx.requestId,
      linkBase,
      scimBaseUrl: ctx.scimBaseUrl,
      created: now,
    };
    await this.repo.insertJob(job);
    await this.record(job, ctx.actor, 'import.started', [
      { path: 'state', old: null, new: 'queued' },
      { path: 'format', old: null, new: job.format },
      { path: 'fileName', old: null, new: job.fileName ?? null },
      { path: 'total', old: null, new: rows },
    ]);
    void this.schedule(ctx.orgId, id);
    return toView(job, [], 1);
  }

  /** The job with one page of its failed rows (row order). Another organization's job is a 404. */
  async get(ctx: RequestContext, id: string, page: ErrorPage): Promise<JobView> {
    const job = await this.repo.findJob(ctx.orgId, id);
    if (!job) throw notFound(`job ${id} not found`);
    const errors = await this.repo.listErrors(ctx.orgId, id, page.startIndex - 1, page.count);
    return toView(job, errors, page.startIndex);
  }

  /** Resolves when this process is no longer running or queuing job `id`. */
  whenDone(id: string): Promise<void> {
    return this.tracked.get(id) ?? Promise.resolve();
  }

  /** Resolves when this process runs no job and has none queued. */
  async whenIdle(): Promise<void> {
    while (this.tracked.size > 0) await Promise.allSettled([...this.tracked.values()]);
  }

  /**
   * Takes up every unfinished job no live run holds: jobs left `queued` or `running` by a process
   * that stopped or crashed. Jobs whose lease is still held by another live process are left to it
   * (or to a later sweep, once the lease runs out). Returns how many were taken and left.
   */
  async resumeInterrupted(): Promise<{ taken: number; left: number }> {
    const now = this.clock.now().getTime();
    let taken = 0;
    let left = 0;
    for (const job of await this.repo.findUnfinished(SWEEP_LIMIT)) {
      if (this.tracked.has(job._id)) continue;
      const held = Boolean(job.leaseOwner && job.leaseOwner !== this.owner && job.leaseUntil && job.leaseUntil.getTime() > now);
      const takeOverFrom = held && isOwnerGone(job.leaseOwner!, this.owner) ? job.leaseOwner! : undefined;
      if (held && !takeOverFrom) {
        left += 1;
        continue;
      }
      taken += 1;
      void this.schedule(job.orgId, job._id, takeOverFrom);
    }
    return { taken, left };
  }

  /** At start (main.ts): resume interrupted jobs now, then sweep periodically for jobs other processes left. */
  start(): void {
    const sweep = () =>
      void this.resumeInterrupted().catch((err: unknown) => this.logger.error({ err }, 'import: sweep for interrupted jobs failed'));
    sweep();
    this.sweeper = setInterval(sweep, this.options.sweepIntervalMs);
    this.sweeper.unref();
  }

  /**
   * Graceful stop: no new job starts; running ones save their progress after the row in hand and
   * release their lease, so the next start resumes them at once. Resolves when they have.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    // Runs waiting for a slot wake up, see `stopping` and leave their job queued.
    for (const wake of this.waiting.splice(0)) wake();
    await this.whenIdle();
  }

  // ---- the runner ----

  private schedule(orgId: string, id: string, takeOverFrom?: string): Promise<void> {
    const existing = this.tracked.get(id);
    if (existing) return existing;
    const done = (async () => {
      await this.acquire();
      try {
        if (!this.stopping) await this.run(orgId, id, takeOverFrom);
      } catch (err) {
        this.logger.error({ err, jobId: id }, 'import: job run failed');
      } finally {
        this.releaseSlot();
        this.tracked.delete(id);
      }
    })();
    this.tracked.set(id, done);
    return done;
  }

  private async acquire(): Promise<void> {
    if (this.running < this.options.concurrency || this.stopping) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
  }

  private releaseSlot(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }

  private leaseUntil(): Date {
    return new Date(this.clock.now().getTime() + this.options.leaseMs);
  }

  private async run(orgId: string, id: string, takeOverFrom?: string): Promise<void> {
    const now = this.clock.now();
    const claimed = await this.repo.claim(orgId, id, this.owner, now, this.leaseUntil(), takeOverFrom);
    if (!claimed) return; // finished meanwhile, or a live run holds it
    const { job, resumed } = claimed;
    if (job.attempts > this.options.maxAttempts) {
      await this.fail(job, `the import was interrupted ${job.attempts - 1} times (last before row ${job.nextRow || 'the first'}); giving up`, this.owner);
      return;
    }
    if (!(await this.repo.hasFile(orgId, id, job.fileChunks))) {
      await this.fail(
        job,
        'the uploaded file is no longer stored, so the import cannot go on; upload the file again (rows already invited are reported as duplicates)',
        this.owner,
      );
      return;
    }
    if (resumed) {
      await this.record(job, RUNNER, 'import.resumed', [
        { path: 'nextRow', old: null, new: job.nextRow },
        { path: 'attempts', old: job.attempts - 1, new: job.attempts },
      ]);
    }
    try {
      await this.process(job, job.attempts > 1);
    } catch (err) {
      if (err instanceof Paused) {
        await this.repo.release(orgId, id, this.owner);
        return;
      }
      if (err instanceof LeaseLost) {
        this.logger.warn({ jobId: id }, 'import: another run took over this job');
        return;
      }
      let reason: string;
      if (err instanceof JobAbort || err instanceof ImportFileError || err instanceof MissingFileError) reason = err.message;
      else {
        this.logger.error({ err, jobId: id, orgId }, 'import: job stopped by an internal error');
        reason = `an internal error stopped the import (job ${id}); rows before it are done: upload the file again to finish (rows already invited are reported as duplicates)`;
      }
      await this.fail(job, reason, this.owner);
    }
  }

  /**
   * Streams the stored file from the checkpoint on. `recovering`: an earlier run was cut off, so the
   * rows past the checkpoint may have been worked on: their stale results are dropped and the
   * invitations that run sent are looked up once, to be reported as this job's own.
   */
  private async process(job: JobRecord, recovering: boolean): Promise<void> {
    const { orgId, _id: id } = job;
    const run: Run = {
      job,
      ctx: { orgId, actor: job.actor, requestId: job.requestId, scimBaseUrl: job.scimBaseUrl },
      recovered: new Map(),
      suspects: new Set(),
    };
    // The dead run checkpointed after each batch, so it can have worked on one batch past the
    // checkpoint at most: only those rows may have a user without its invitation (invite() then
    // looks for it). The other rows never pay for that lookup.
    let suspectsLeft = recovering ? this.options.batchSize : 0;
    if (recovering) {
      await this.repo.removeResultsFrom(orgId, id, job.nextRow);
      run.recovered = await this.repo.jobInvitationsFrom(orgId, id, job.nextRow);
    }
    const progress: Progress = { nextRow: job.nextRow, processed: job.processed, succeeded: job.succeeded, failed: job.failed };
    let batch: SourceRow[] = [];
    try {
      for await (const row of readRows(job.format, this.repo.readFile(orgId, id, job.fileChunks))) {
        if (row.row < progress.nextRow) continue;
        if (suspectsLeft > 0) {
          run.suspects.add(row.row);
          suspectsLeft -= 1;
        }
        batch.push(row);
        if (batch.length >= this.options.batchSize) {
          await this.processBatch(run, batch, progress);
          batch = [];
        }
      }
      if (batch.length > 0) await this.processBatch(run, batch, progress);
    } catch (err) {
      // The database failing under the parser is an internal error, not a bad file.
      if (err instanceof SourceReadError) throw err.cause ?? err;
      throw err;
    }
    const finished = this.clock.now();
    const ended = await this.repo.finish(orgId, id, this.owner, { state: 'completed', finished, ...progress });
    if (ended) this.observer.importJob('completed');
    if (!ended) throw new LeaseLost();
    await this.cleanUp(job);
    await this.record(job, RUNNER, 'import.completed', [
      { path: 'state', old: 'running', new: 'completed' },
      { path: 'succeeded', old: null, new: progress.succeeded },
      { path: 'failed', old: null, new: progress.failed },
    ]);
  }

  private async processBatch(run: Run, batch: SourceRow[], progress: Progress): Promise<void> {
    const { job } = run;
    const org = await this.organizations.findById(job.orgId);
    if (!org) throw new JobAbort('the organization no longer exists');
    // Which earlier row of the file invited each address of the batch: the stored keys of earlier
    // batches, then this batch's own as it goes.
    const keys = [...new Set(batch.map((r) => (r.values.email ?? '').toLowerCase()).filter((k) => k.includes('@')))];
    // Both lookups at once: which earlier row invited each address, and which addresses users hold
    // (the batch of invitations, whose writes go to the database together at the checkpoint).
    const [invitedBy, invites] = await Promise.all([this.repo.findKeys(job.orgId, job._id, keys), this.invitations.openBatch(run.ctx, keys, batch.length)]);
    const newKeys: ImportKeyRecord[] = [];
    const results: ImportResultRecord[] = [];
    // Which addresses of the rest of the batch existing users hold, read once, only if the seats run out.
    let taken: Set<string> | undefined;
    let from = 0;
    const existing = async (): Promise<Set<string>> => {
      taken ??= await this.repo.takenEmailKeys(job.orgId, [...new Set(batch.slice(from).map((r) => (r.values.email ?? '').toLowerCase()))]);
      return taken;
    };
    // The most seats the batch can use: its first rows of an address that no user holds, on the
    // organization's domains and not invited by an earlier batch. The batch takes seats for these at
    // once, so a request elsewhere is never refused a seat that a row of the batch cannot use.
    const candidates = new Set<string>();
    for (const r of batch) {
      const email = r.values.email ?? '';
      const key = email.toLowerCase();
      if (r.problem || !key.includes('@') || run.recovered.has(r.row) || invitedBy.has(key) || invites.users.taken.has(key)) continue;
      if (!emailDomainViolation(email, org)) candidates.add(key);
    }
    invites.users.room = candidates.size;
    const defs = await this.extensionsFor(job.orgId);
    let renewedAt = Date.now();
    let last = progress.nextRow - 1;
    const save = async () => {
      // A row whose address another request took since the batch read them is a duplicate after all.
      // Under the organization's extensions, as the rows were read (the stored shadow keys, the audit diff).
      const notInvited = await runWithExtensions(defs, () => this.invitations.flushBatch(invites));
      for (const [i, result] of results.entries()) {
        if (result.outcome !== 'invited' || !notInvited.has(result.userId!)) continue;
        const { userId: _u, ...rest } = result;
        results[i] = { ...rest, outcome: 'failed', code: 'duplicate', reason: 'duplicate: a user with this email already exists' };
        progress.succeeded -= 1;
        progress.failed += 1;
        const k = newKeys.findIndex((n) => n.userId === result.userId);
        if (k >= 0) newKeys.splice(k, 1);
      }
      await this.repo.saveKeys(newKeys);
      await this.repo.saveResults(results);
      progress.nextRow = last + 1;
      if (!(await this.repo.checkpoint(job.orgId, job._id, this.owner, { ...progress }, this.leaseUntil()))) throw new LeaseLost();
    };
    try {
      for (let i = 0; i < batch.length; i++) {
        if (this.stopping) break;
        const row = batch[i]!;
        from = i;
        const result = await this.processRowWithRetry(run, { org, invitedBy, existing, invites, defs }, row);
        results.push(result);
        if (result.outcome === 'invited') {
          const key = result.email.toLowerCase();
          const first = invitedBy.get(key);
          if (first === undefined || first > row.row) invitedBy.set(key, row.row);
          newKeys.push({ _id: `${job._id}:${key}`, orgId: job.orgId, jobId: job._id, row: row.row, userId: result.userId! });
        }
        last = row.row;
        this.observer.importRow(result.outcome === 'invited' ? 'invited' : (result.code ?? 'failed'));
        progress.processed += 1;
        if (result.outcome === 'invited') progress.succeeded += 1;
        else progress.failed += 1;
        // A slow batch renews the lease before it runs out.
        if (Date.now() - renewedAt > this.options.leaseMs / 3) {
          renewedAt = Date.now();
          if (!(await this.repo.renew(job.orgId, job._id, this.owner, this.leaseUntil()))) throw new LeaseLost();
        }
      }
    } catch (err) {
      // The rows done before an internal failure stay done and reported. A run that lost the job
      // writes nothing more: the seats its batch took go back, the new holder redoes the rows.
      if (!(err instanceof LeaseLost)) await save().catch(() => undefined);
      else await this.invitations.discardBatch(invites).catch(() => undefined);
      throw err;
    }
    await save();
    if (this.stopping) throw new Paused();
  }

  /**
   * One row; an unexpected failure (not a rule the row breaks) is retried once. Before the retry,
   * the row's invitation is looked for: the failure may have come after the invitation was stored.
   */
  private async processRowWithRetry(run: Run, batch: BatchState, row: SourceRow): Promise<ImportResultRecord> {
    try {
      return await this.processRow(run, batch, row, run.recovered.get(row.row));
    } catch (err) {
      this.logger.warn({ err, jobId: run.job._id, row: row.row }, 'import: row failed unexpectedly; retrying once');
      const sent = (await this.repo.jobInvitationsFrom(run.job.orgId, run.job._id, row.row)).get(row.row);
      return this.processRow(run, batch, row, sent ?? run.recovered.get(row.row));
    }
  }

  /** `sentBefore`: the user this job invited for the row before a crash (or a failed first try). */
  private async processRow(run: Run, { org, invitedBy, existing, invites, defs }: BatchState, row: SourceRow, sentBefore: string | undefined): Promise<ImportResultRecord> {
    const { job, ctx } = run;
    const email = row.values.email ?? '';
    const base = { _id: `${job._id}:${row.row}`, orgId: job.orgId, jobId: job._id, row: row.row, email: clip(email, MAX_EMAIL_CHARS) };
    const failed = (code: RowErrorCode, reason: string): ImportResultRecord => ({ ...base, outcome: 'failed', code, reason });
    const invited = (userId: string): ImportResultRecord => ({ ...base, outcome: 'invited', userId });

    if (row.problem) return failed('invalidRow', row.problem);
    if (email === '') return failed('invalidEmail', 'email: the cell is empty');
    const input = {
      email,
      ...(row.values.role ? { role: row.values.role } : {}),
      ...(row.values.name ? { name: row.values.name } : {}),
      ...(row.values.company ? { company: row.values.company } : {}),
    };
    const parsed = inviteInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue?.path[0] ?? 'row');
      if (field === 'email') return failed('invalidEmail', `invalid email: "${clip(email, 100)}" is not an email address`);
      return failed('invalidValue', `${field}: ${issue?.message ?? 'invalid value'}`);
    }
    const key = email.toLowerCase();

    // Invited by this job before a crash cut its run off: its own work, not a duplicate.
    if (sentBefore) return invited(sentBefore);
    const domain = emailDomainViolation(email, org);
    if (domain) {
      return failed('domainNotAllowed', `email domain not allowed: "${domainOf(email)}" is not one of the organization's domains (${org.domains.join(', ')})`);
    }
    // Only an earlier row counts: after a crash, a later row of the cut-off batch may hold the key.
    const first = invitedBy.get(key);
    if (first !== undefined && first < row.row) return failed('duplicateInFile', `duplicate of row ${first}`);
    try {
      const resumed = run.suspects.has(row.row);
      // Extension columns (README "Custom schema extensions") go to the user as the organization declared them.
      const input: InviteInput & { extensions?: Record<string, string> } = { ...(parsed.data as InviteInput), ...(row.values.extensions ? { extensions: row.values.extensions } : {}) };
      const sent = await runWithExtensions(defs, () => this.invitations.invite(ctx, input, job.linkBase, { jobId: job._id, row: row.row, resumed, batch: invites }));
      return invited(sent.userId);
    } catch (err) {
      if (!(err instanceof ScimError) || err.status >= 500) throw err;
      if (err.status === 409) return failed('duplicate', 'duplicate: a user with this email already exists');
      if (err.status === 403) {
        // Past the seat limit, an address that is taken anyway is reported as the duplicate it is.
        if ((await existing()).has(key)) return failed('duplicate', 'duplicate: a user with this email already exists');
        return failed('seatLimit', err.detail);
      }
      if (err.status === 400 && /^(email domain|a sign-in email)/.test(err.detail)) return failed('domainNotAllowed', `email domain not allowed: ${err.detail}`);
      return failed('invalidValue', err.detail);
    }
  }

  private async fail(job: JobRecord, reason: string, owner: string | null = null): Promise<void> {
    const ended = await this.repo.finish(job.orgId, job._id, owner, { state: 'failed', finished: this.clock.now(), failureReason: reason });
    if (ended) this.observer.importJob('failed');
    if (!ended) return;
    await this.cleanUp(job);
    await this.record(job, RUNNER, 'import.failed', [
      { path: 'state', old: job.state, new: 'failed' },
      { path: 'failureReason', old: null, new: reason },
    ]);
  }

  /** The file and the address keys serve a running job only; the job and its results stay as the report. */
  private async cleanUp(job: JobRecord): Promise<void> {
    await this.repo.removeFile(job.orgId, job._id);
    await this.repo.removeKeys(job.orgId, job._id);
  }

  private async record(job: JobRecord, actor: Actor, action: AuditAction, changes: AuditChange[]): Promise<void> {
    await this.audit.record({
      orgId: job.orgId,
      at: this.clock.now(),
      actor,
      action,
      target: { type: 'Job', id: job._id },
      changes,
      requestId: job.requestId,
    });
  }
}

/** One run of a job in this process. */
interface Run {
  job: JobRecord;
  ctx: RequestContext;
  /** Rows past the checkpoint that a cut-off run invited (row → user id). */
  recovered: Map<number, string>;
  /** Rows a cut-off run may have left half done: only these look for its user. */
  suspects: Set<number>;
}

/** What the rows of one batch share. */
interface BatchState {
  org: OrganizationRecord;
  /** The earliest row of the file that invited each address seen so far. */
  invitedBy: Map<string, number>;
  /** The addresses of the rest of the batch that existing users hold, read once when seats run out. */
  existing: () => Promise<Set<string>>;
  /** The batch's invitations, written at its checkpoint. */
  invites: InvitationBatch;
  /** The organization's schema extensions, read once per batch. */
  defs: ExtensionDef[];
}

/**
 * Whether the process named by a lease is certainly gone: it ran on this host and no process has its
 * pid any more, or its pid is ours (a container restarted as pid 1) under another instance id. A run
 * on another host is trusted until its lease runs out.
 */
export function isOwnerGone(leaseOwner: string, self: string): boolean {
  const [host, pidText, instance] = leaseOwner.split(':');
  const [myHost, myPid, myInstance] = self.split(':');
  if (host !== myHost || !pidText) return false;
  if (pidText === myPid) return instance !== myInstance;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
