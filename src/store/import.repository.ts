import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import type { EngineSql } from './ferretdb-postgresql.js';
import { asDuplicateKey } from './errors.js';
import type { InvitationRecord } from './invitation.repository.js';
import { KeyedMutex } from './keyed-mutex.js';
import { findIn } from './pushdown.js';
import type { UserRecord } from './user.repository.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed';
export type ImportFileFormat = 'csv' | 'xlsx' | 'json';

export interface JobRecord {
  _id: string;
  orgId: string;
  kind: 'invitations.import';
  state: JobState;
  format: ImportFileFormat;
  fileName?: string;
  fileBytes: number;
  fileSha256: string;
  fileChunks: number;
  /** data rows in the file */
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  /** Checkpoint: every row before this file row number is done and counted. */
  nextRow: number;
  /** How many runs have claimed the job (a run cut off by a crash counts; a graceful stop does not). */
  attempts: number;
  /** The process running the job ("host:pid:instance") and until when its claim holds without renewal. */
  leaseOwner?: string | null;
  leaseUntil?: Date | null;
  /** Who uploaded, under which request: every invitation of the job is recorded in their name. */
  actor: { type: 'token' | 'operator' | 'system' | 'user'; id: string; name: string };
  requestId: string;
  linkBase: string;
  scimBaseUrl: string;
  created: Date;
  started?: Date;
  finished?: Date;
  failureReason?: string;
}

export type ImportOutcome = 'invited' | 'failed';

export interface ImportResultRecord {
  /** "<jobId>:<row>" */
  _id: string;
  orgId: string;
  jobId: string;
  row: number;
  email: string;
  outcome: ImportOutcome;
  userId?: string;
  code?: string;
  reason?: string;
}

export interface ImportKeyRecord {
  /** "<jobId>:<lower-cased email>" */
  _id: string;
  orgId: string;
  jobId: string;
  row: number;
  userId: string;
}

interface ChunkRecord {
  _id: string;
  orgId: string;
  jobId: string;
  n: number;
  data: Buffer | { buffer: Uint8Array; position?: number };
}

/** Each stored piece of an uploaded file; far below the 16 MB document limit on every engine. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

function asBuffer(data: ChunkRecord['data']): Buffer {
  if (Buffer.isBuffer(data)) return data;
  // The driver returns BSON Binary; its bytes are `buffer` up to `position`.
  const bytes = data.buffer;
  return Buffer.from(bytes.buffer, bytes.byteOffset, data.position ?? bytes.length);
}

/**
 * Reads one document by primary key within an organization. The filter is `{_id}` alone, checked for
 * the organization afterwards: FerretDB 1.x on SQLite pushes a filter down to SQLite only when it is
 * exactly `{_id}`; `{_id, orgId}` decodes every document in Go (measured: a per-row lookup grew from
 * 13 ms to 110 ms over 3,000 rows). Another organization's document is not found, as with the filter.
 */
async function findScoped<T extends { _id: string; orgId: string }>(
  collection: Collection<T>,
  orgId: string,
  id: string,
  projection?: Record<string, 0 | 1>,
): Promise<T | null> {
  const found = await collection.findOne({ _id: id } as Filter<T>, projection ? { projection: { ...projection, orgId: 1 } } : {});
  return found && (found as T).orgId === orgId ? (found as T) : null;
}

/**
 * Import jobs, their stored files, per-row results and in-file address keys. Nothing here runs per
 * row: a batch costs one `_id $in` read of keys, two insertMany and one checkpoint, because on
 * FerretDB 1.x every read scans (test/integration/scim/indexes.test.ts), so per-row reads of a
 * growing collection would make an import quadratic. Single documents are read by `_id` alone
 * (`findScoped`); queries on other fields run once per job, per resume or per request.
 * Job state changes run under `exclusive(jobId)`, since FerretDB 1.x does not apply an update's
 * filter atomically (keyed-mutex.ts); on MongoDB the same filters decide on their own.
 */
export class ImportRepository {
  private readonly jobs: Collection<JobRecord>;
  private readonly chunks: Collection<ChunkRecord>;
  private readonly results: Collection<ImportResultRecord>;
  private readonly keys: Collection<ImportKeyRecord>;
  private readonly users: Collection<UserRecord>;
  private readonly invitations: Collection<InvitationRecord>;
  private readonly inPushdown: boolean;

  /** `mutex`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly mutex: KeyedMutex = new KeyedMutex(),
  ) {
    this.jobs = store.models.Job.collection as unknown as Collection<JobRecord>;
    this.chunks = store.models.ImportChunk.collection as unknown as Collection<ChunkRecord>;
    this.results = store.models.ImportResult.collection as unknown as Collection<ImportResultRecord>;
    this.keys = store.models.ImportKey.collection as unknown as Collection<ImportKeyRecord>;
    this.users = store.models.User.collection as unknown as Collection<UserRecord>;
    this.invitations = store.models.Invitation.collection as unknown as Collection<InvitationRecord>;
    // Per-value lookups where equality has an index but $in has none (FerretDB on PostgreSQL, see pushdown.ts).
    this.inPushdown = store.capabilities.inPushdown || !store.capabilities.equalityPushdown;
    this.sql = store.sql;
  }

  /** The embedded engine's SQL (ferretdb-postgresql.ts), for the batch lookups FerretDB cannot push down. */
  private readonly sql: EngineSql | undefined;

  exclusive<T>(jobId: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(jobId, work);
  }

  // ---- jobs ----

  async insertJob(job: JobRecord): Promise<void> {
    await this.jobs.insertOne(job);
  }

  async findJob(orgId: string, id: string): Promise<JobRecord | null> {
    return findScoped(this.jobs, orgId, id);
  }

  /**
   * Jobs of every organization that are not finished: the start-up and periodic sweep, a system
   * task that then works on each job within its own organization.
   */
  async findUnfinished(limit: number): Promise<Pick<JobRecord, '_id' | 'orgId' | 'leaseOwner' | 'leaseUntil'>[]> {
    return this.jobs
      .find({ state: { $in: ['queued', 'running'] } } as Filter<JobRecord>, { projection: { _id: 1, orgId: 1, leaseOwner: 1, leaseUntil: 1 } })
      .limit(limit)
      .toArray();
  }

  /**
   * Claims an unfinished job for `owner` until `until`: when nobody holds it, its lease ran out, the
   * owner is `owner` itself, or `takeOverFrom` (an owner known to be gone). Counts an attempt.
   * Returns the claimed job and whether an earlier run had started it, or null when it is finished
   * or held by a live run.
   */
  async claim(
    orgId: string,
    id: string,
    owner: string,
    now: Date,
    until: Date,
    takeOverFrom?: string,
  ): Promise<{ job: JobRecord; resumed: boolean } | null> {
    return this.exclusive(id, async () => {
      const holders: Filter<JobRecord>[] = [{ leaseOwner: null }, { leaseUntil: null }, { leaseUntil: { $lte: now } }, { leaseOwner: owner }];
      if (takeOverFrom) holders.push({ leaseOwner: takeOverFrom });
      const filter = { _id: id, orgId, state: { $in: ['queued', 'running'] }, $or: holders } as Filter<JobRecord>;
      const current = await this.jobs.findOne(filter);
      if (!current) return null;
      const set: Partial<JobRecord> = { state: 'running', leaseOwner: owner, leaseUntil: until, ...(current.started ? {} : { started: now }) };
      const result = await this.jobs.updateOne(filter, { $set: set, $inc: { attempts: 1 } });
      if (result.matchedCount !== 1) return null;
      return { job: { ...current, ...set, attempts: (current.attempts ?? 0) + 1 }, resumed: Boolean(current.started) };
    });
  }

  /** Saves progress and renews the lease; false when `owner` no longer holds the job. */
  async checkpoint(
    orgId: string,
    id: string,
    owner: string,
    progress: Pick<JobRecord, 'nextRow' | 'processed' | 'succeeded' | 'failed'>,
    until: Date,
  ): Promise<boolean> {
    return this.exclusive(id, async () => {
      const result = await this.jobs.updateOne(
        { _id: id, orgId, state: 'running', leaseOwner: owner } as Filter<JobRecord>,
        { $set: { ...progress, leaseUntil: until } },
      );
      return result.matchedCount === 1;
    });
  }

  /** Extends the lease of a run that still holds the job; false when it does not. */
  async renew(orgId: string, id: string, owner: string, until: Date): Promise<boolean> {
    return this.exclusive(id, async () => {
      const result = await this.jobs.updateOne(
        { _id: id, orgId, state: 'running', leaseOwner: owner } as Filter<JobRecord>,
        { $set: { leaseUntil: until } },
      );
      return result.matchedCount === 1;
    });
  }

  /** Lets another run take the job at once (graceful stop); the interrupted run is not counted as an attempt. */
  async release(orgId: string, id: string, owner: string): Promise<void> {
    await this.exclusive(id, async () => {
      await this.jobs.updateOne(
        { _id: id, orgId, state: 'running', leaseOwner: owner } as Filter<JobRecord>,
        { $set: { leaseOwner: null, leaseUntil: null }, $inc: { attempts: -1 } },
      );
    });
  }

  /**
   * Ends a job. With `owner`, only while that run holds it (a run that lost its lease must not end a
   * job another run continues); without, whatever holds it (the sweep failing an unresumable job).
   */
  async finish(
    orgId: string,
    id: string,
    owner: string | null,
    end: { state: 'completed' | 'failed'; finished: Date; failureReason?: string } & Partial<Pick<JobRecord, 'nextRow' | 'processed' | 'succeeded' | 'failed'>>,
  ): Promise<boolean> {
    return this.exclusive(id, async () => {
      const filter = { _id: id, orgId, state: { $in: ['queued', 'running'] }, ...(owner ? { leaseOwner: owner } : {}) } as Filter<JobRecord>;
      const result = await this.jobs.updateOne(filter, { $set: { ...end, leaseOwner: null, leaseUntil: null } });
      return result.matchedCount === 1;
    });
  }

  // ---- the uploaded file ----

  async saveFile(orgId: string, jobId: string, data: Buffer): Promise<number> {
    let n = 0;
    for (let at = 0; at < data.length; at += FILE_CHUNK_BYTES, n++) {
      const piece = data.subarray(at, Math.min(at + FILE_CHUNK_BYTES, data.length));
      await this.chunks.insertOne({ _id: `${jobId}:${n}`, orgId, jobId, n, data: piece });
    }
    return n;
  }

  /** The stored file, one piece in memory at a time. Throws when a piece is missing. */
  async *readFile(orgId: string, jobId: string, count: number): AsyncGenerator<Buffer> {
    for (let n = 0; n < count; n++) {
      const chunk = await findScoped(this.chunks, orgId, `${jobId}:${n}`);
      if (!chunk) throw new MissingFileError(`the uploaded file is no longer stored (piece ${n + 1} of ${count} is missing); upload it again`);
      yield asBuffer(chunk.data);
    }
  }

  /** Whether every piece of the file is stored (by primary key, without reading the bytes). */
  async hasFile(orgId: string, jobId: string, count: number): Promise<boolean> {
    for (let n = 0; n < count; n++) {
      const found = await findScoped(this.chunks, orgId, `${jobId}:${n}`, { _id: 1 });
      if (!found) return false;
    }
    return true;
  }

  async removeFile(orgId: string, jobId: string): Promise<void> {
    await this.chunks.deleteMany({ orgId, jobId } as Filter<ChunkRecord>);
  }

  // ---- per-row results ----

  /** Stores a batch's results; a result already stored (a retried batch) is kept. */
  async saveResults(results: ImportResultRecord[]): Promise<void> {
    if (results.length === 0) return;
    try {
      await this.results.insertMany(results, { ordered: false });
    } catch (err) {
      if (!asDuplicateKey(err)) throw err;
      // Some were stored by the run a crash cut off: insert the others one by one.
      for (const result of results) {
        try {
          await this.results.insertOne(result);
        } catch (e) {
          if (!asDuplicateKey(e)) throw e;
        }
      }
    }
  }

  /** Forgets results from `row` on: a resumed run recomputes the rows after its checkpoint. */
  async removeResultsFrom(orgId: string, jobId: string, row: number): Promise<void> {
    await this.results.deleteMany({ orgId, jobId, row: { $gte: row } } as Filter<ImportResultRecord>);
  }

  async listErrors(orgId: string, jobId: string, skip: number, limit: number): Promise<ImportResultRecord[]> {
    if (limit === 0) return [];
    return this.results
      .find({ orgId, jobId, outcome: 'failed' } as Filter<ImportResultRecord>)
      .sort({ row: 1 })
      .skip(skip)
      .limit(limit)
      .toArray();
  }

  // ---- in-file duplicates ----

  /**
   * The rows of this job that invited these lower-cased addresses: one query per batch (an indexed
   * `_id $in` on MongoDB; on FerretDB on SQLite, where even an `{_id}` lookup reads the table, one
   * read per batch instead of one per row); on FerretDB on PostgreSQL one indexed `{_id}` lookup per
   * address, since its `$in` reads every job's keys.
   */
  async findKeys(orgId: string, jobId: string, emailKeys: string[]): Promise<Map<string, number>> {
    if (emailKeys.length === 0) return new Map();
    const prefix = `${jobId}:`;
    if (this.sql) {
      const rows = await this.sql.findIn('import_keys', orgId, '_id', [...new Set(emailKeys.map((k) => prefix + k))], ['_id', 'row']);
      return new Map(rows.map(([key, row]) => [key!.slice(prefix.length), Number(row)]));
    }
    const found = await findIn(this.keys, this.inPushdown, {}, '_id', emailKeys.map((k) => prefix + k), { projection: { _id: 1, orgId: 1, row: 1 } });
    return new Map(found.filter((k) => k.orgId === orgId).map((k) => [k._id.slice(prefix.length), k.row]));
  }

  /** Records the rows that invited an address; a key stored already (a resumed batch) keeps its first row. */
  async saveKeys(keys: ImportKeyRecord[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.keys.insertMany(keys, { ordered: false });
    } catch (err) {
      if (!asDuplicateKey(err)) throw err;
      for (const key of keys) {
        try {
          await this.keys.insertOne(key);
        } catch (e) {
          if (!asDuplicateKey(e)) throw e;
        }
      }
    }
  }

  /** The keys are needed while the job runs only. */
  async removeKeys(orgId: string, jobId: string): Promise<void> {
    await this.keys.deleteMany({ orgId, jobId } as Filter<ImportKeyRecord>);
  }

  // ---- what the rest of the organization holds ----

  /** Which of these lower-cased addresses a visible user of the organization signs in with. */
  async takenEmailKeys(orgId: string, emailKeys: string[]): Promise<Set<string>> {
    if (emailKeys.length === 0) return new Set();
    if (this.sql) return new Set((await this.sql.findIn('users', orgId, 'emailKey', [...new Set(emailKeys)], ['emailKey'])).map(([key]) => key!));
    const found = await findIn(this.users, this.inPushdown, { orgId }, 'emailKey', emailKeys, { projection: { emailKey: 1 } });
    return new Set(found.map((u) => u.emailKey));
  }

  /**
   * The invitations this job sent from file row `fromRow` on: after a crash, the rows past the
   * checkpoint that were invited before the process died (their results were never written).
   */
  async jobInvitationsFrom(orgId: string, jobId: string, fromRow: number): Promise<Map<number, string>> {
    const found = await this.invitations
      .find({ orgId, jobId, jobRow: { $gte: fromRow } } as Filter<InvitationRecord>, { projection: { _id: 1, jobRow: 1 } })
      .toArray();
    return new Map(found.map((inv) => [inv.jobRow as number, inv._id]));
  }
}

export class MissingFileError extends Error {
  override name = 'MissingFileError';
}
