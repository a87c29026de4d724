import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

/** Why a session ended: signed out by the platform, terminated by an admin, or the user's access ended. */
export type SessionEndReason = 'signed_out' | 'terminated' | 'suspended' | 'deleted' | 'password_changed';

/** A sign-in session (docs/architecture.md "Sign-in sessions"). */
export interface SessionRecord {
  /** the public session id (24 hex characters) */
  _id: string;
  orgId: string;
  userId: string;
  /** SHA-256 of the secret part of the session token: the secret itself is never stored. */
  secretHash: string;
  /** SHA-256 of the user's password hash when the session began: a password change since then ends it. */
  passwordStamp: string;
  created: Date;
  lastUsedAt?: Date;
  expiresAt: Date;
  endedAt?: Date;
  endReason?: SessionEndReason;
}

export type SessionSummary = Omit<SessionRecord, 'secretHash' | 'passwordStamp'>;

/**
 * Sign-in sessions, always scoped by organization (a check by session id alone compares the
 * organization itself). Every write to a session document runs under a per-session KeyedMutex:
 * FerretDB 1.x applies an update by reading the document and writing it back whole, so an
 * unserialized `lastUsedAt` update could write back a session an admin ended meanwhile.
 */
export class SessionRepository {
  private readonly sessions: Collection<SessionRecord>;

  /** `writes`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.sessions = store.models.Session.collection as unknown as Collection<SessionRecord>;
  }

  async insert(session: SessionRecord): Promise<void> {
    await this.sessions.insertOne(session);
  }

  /** By id alone (served by the primary key on every engine); the caller checks the organization. */
  async findById(id: string): Promise<SessionRecord | null> {
    return this.sessions.findOne({ _id: id });
  }

  /** The user's sessions that are neither ended nor expired, newest first, without secrets. */
  async listLive(orgId: string, userId: string, now: Date): Promise<SessionSummary[]> {
    return this.sessions
      .find(
        { orgId, userId, endedAt: { $exists: false }, expiresAt: { $gt: now } } as Filter<SessionRecord>,
        { projection: { secretHash: 0, passwordStamp: 0 } },
      )
      .sort({ created: -1, _id: -1 })
      .toArray();
  }

  /**
   * Ends a live session of the user; false when it is unknown in the organization, belongs to
   * another user, has ended already or has expired.
   */
  async end(orgId: string, userId: string, id: string, reason: SessionEndReason, at: Date): Promise<boolean> {
    return this.writes.run(id, async () => {
      const result = await this.sessions.updateOne(
        { _id: id, orgId, userId, endedAt: { $exists: false }, expiresAt: { $gt: at } } as Filter<SessionRecord>,
        { $set: { endedAt: at, endReason: reason } },
      );
      return result.matchedCount === 1;
    });
  }

  /**
   * Moves the user's live sessions opened with `from` to the stamp `to` (the same password, rehashed),
   * one session at a time under its mutex so an end written meanwhile is never written back.
   */
  async restamp(orgId: string, userId: string, from: string, to: string): Promise<void> {
    const ids = await this.sessions
      .find({ orgId, userId, passwordStamp: from, endedAt: { $exists: false } } as Filter<SessionRecord>, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of ids) {
      await this.writes.run(_id, async () => {
        await this.sessions.updateOne({ _id, passwordStamp: from, endedAt: { $exists: false } } as Filter<SessionRecord>, { $set: { passwordStamp: to } });
      });
    }
  }

  /** Records a use of a live session. */
  async touch(id: string, at: Date): Promise<void> {
    await this.writes.run(id, async () => {
      await this.sessions.updateOne({ _id: id, endedAt: { $exists: false } } as Filter<SessionRecord>, { $set: { lastUsedAt: at } });
    });
  }

  /** Removes the organization's sessions that expired at or before `before` (lazy clean-up: no TTL index on FerretDB). */
  async removeExpired(orgId: string, before: Date): Promise<number> {
    const result = await this.sessions.deleteMany({ orgId, expiresAt: { $lte: before } } as Filter<SessionRecord>);
    return result.deletedCount;
  }
}
