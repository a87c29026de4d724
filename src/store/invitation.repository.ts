import type { Collection, Filter } from 'mongodb';
import type { Store } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

export type InvitationState = 'pending' | 'accepted' | 'cancelled';
export type InvitationTokenState = 'live' | 'used' | 'replaced' | 'cancelled';

export interface InvitationRecord {
  /** the invited user's id */
  _id: string;
  orgId: string;
  email: string;
  state: InvitationState;
  /** the live link's hash */
  tokenHash: string;
  invitedAt: Date;
  lastSentAt: Date;
  resendCount: number;
  expiresAt: Date;
  acceptedAt?: Date;
  cancelledAt?: Date;
  /** Sent by a bulk import: the job and the file row (how a resumed job recognizes its own work). */
  jobId?: string;
  jobRow?: number;
}

export interface InvitationTokenRecord {
  /** SHA-256 of the secret */
  _id: string;
  orgId: string;
  userId: string;
  state: InvitationTokenState;
  expiresAt: Date;
  created: Date;
  endedAt?: Date;
}

/**
 * Invitations and their links. Every change to one invitation (send, resend, accept, cancel) runs
 * inside `exclusive(userId)`: FerretDB 1.x does not apply an update's filter atomically
 * (keyed-mutex.ts), so a link is consumed exactly once only if its read and write are serialized.
 * Tokens are looked up by `_id` alone (the hash), which every engine serves from the primary key.
 */
export class InvitationRepository {
  private readonly invitations: Collection<InvitationRecord>;
  private readonly tokens: Collection<InvitationTokenRecord>;

  /** `mutex`: the one KeyedMutex of this collection (store/repositories.ts builds it once per process; keyed-mutex.ts). */
  constructor(
    store: Store,
    private readonly mutex: KeyedMutex = new KeyedMutex(),
  ) {
    this.invitations = store.models.Invitation.collection as unknown as Collection<InvitationRecord>;
    this.tokens = store.models.InvitationToken.collection as unknown as Collection<InvitationTokenRecord>;
  }

  exclusive<T>(userId: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(userId, work);
  }

  async insert(invitation: InvitationRecord, token: InvitationTokenRecord): Promise<void> {
    await this.tokens.insertOne(token);
    await this.invitations.insertOne(invitation);
  }

  /** The invitations of a bulk import batch, tokens first as in `insert`. */
  async insertMany(invitations: InvitationRecord[], tokens: InvitationTokenRecord[]): Promise<void> {
    if (tokens.length > 0) await this.tokens.insertMany(tokens);
    if (invitations.length > 0) await this.invitations.insertMany(invitations);
  }

  async find(orgId: string, userId: string): Promise<InvitationRecord | null> {
    return this.invitations.findOne({ _id: userId, orgId } as Filter<InvitationRecord>);
  }

  /** By hash alone: the public accept route learns the organization from the link. */
  async findToken(hash: string): Promise<InvitationTokenRecord | null> {
    return this.tokens.findOne({ _id: hash });
  }

  async endToken(hash: string, state: Exclude<InvitationTokenState, 'live'>, at: Date): Promise<void> {
    await this.tokens.updateOne({ _id: hash }, { $set: { state, endedAt: at } });
  }

  /** A new link replaces the live one (resend). */
  async rotate(orgId: string, userId: string, oldHash: string, token: InvitationTokenRecord, at: Date): Promise<void> {
    await this.tokens.insertOne(token);
    await this.endToken(oldHash, 'replaced', at);
    await this.invitations.updateOne(
      { _id: userId, orgId } as Filter<InvitationRecord>,
      { $set: { tokenHash: token._id, lastSentAt: at, expiresAt: token.expiresAt }, $inc: { resendCount: 1 } },
    );
  }

  async setState(orgId: string, userId: string, state: Exclude<InvitationState, 'pending'>, at: Date): Promise<void> {
    const time = state === 'accepted' ? { acceptedAt: at } : { cancelledAt: at };
    await this.invitations.updateOne({ _id: userId, orgId } as Filter<InvitationRecord>, { $set: { state, ...time } });
  }

  /** Removes a link that never reached anyone (its invitation could not be stored). */
  async removeToken(hash: string): Promise<void> {
    await this.tokens.deleteOne({ _id: hash });
  }

  /**
   * How many invitations the organization has in each state, in one aggregation the database runs
   * ($match on the org_state index prefix, then $group): no invitation is read into Roster.
   */
  async countByState(orgId: string): Promise<Record<InvitationState, number>> {
    const rows = await this.invitations
      .aggregate<{ _id: InvitationState; n: number }>([{ $match: { orgId } }, { $group: { _id: '$state', n: { $sum: 1 } } }])
      .toArray();
    const counts: Record<InvitationState, number> = { pending: 0, accepted: 0, cancelled: 0 };
    for (const row of rows) if (row._id in counts) counts[row._id] = row.n;
    return counts;
  }
}
