import type { Collection, Filter, Sort } from 'mongodb';
import type { Store } from './connection.js';
import { asDuplicateKey } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';

export type UserStatus = 'invited' | 'active' | 'suspended' | 'deleted';

export interface MultiValue {
  value?: unknown;
  display?: string;
  type?: string;
  primary?: boolean;
}
export interface EmailValue extends MultiValue {
  value: string;
  valueKey: string;
}
export interface AddressValue {
  formatted?: string;
  streetAddress?: string;
  locality?: string;
  region?: string;
  postalCode?: string;
  country?: string;
  type?: string;
  primary?: boolean;
}

/** The stored user (docs/architecture.md). */
export interface UserRecord {
  _id: string;
  orgId: string;
  userName: string;
  userNameKey: string;
  emailKey: string;
  externalId?: string;
  name?: Record<string, string>;
  displayName?: string;
  displayNameKey?: string;
  nickName?: string;
  profileUrl?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active: boolean;
  status: UserStatus;
  emails?: EmailValue[];
  phoneNumbers?: MultiValue[];
  ims?: MultiValue[];
  photos?: MultiValue[];
  addresses?: AddressValue[];
  entitlements?: MultiValue[];
  roles?: MultiValue[];
  x509Certificates?: MultiValue[];
  groupIds?: string[];
  enterprise?: {
    employeeNumber?: string;
    costCenter?: string;
    organization?: string;
    division?: string;
    department?: string;
    manager?: { value: string; displayName?: string };
  };
  invitedAt?: Date;
  onboardedAt?: Date;
  deletedAt?: Date;
  previousStatus?: UserStatus;
  passwordHash?: string;
  created: Date;
  lastModified: Date;
  version: number;
}

export interface ListQuery {
  filter: Record<string, unknown>;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
  /** Stored fields to leave out of the read (e.g. groupIds when not asked for). */
  omit?: string[];
}

/** Users that SCIM can see: everything but the recently deleted (RFC 7644 3.6: deleted is gone). */
const VISIBLE = { status: { $ne: 'deleted' } } as const;

/**
 * Every method takes the organization id and ANDs it into the query: no
 * read or write can cross a tenant (PRODUCT.md "Tenancy").
 */
export class UserRepository {
  private readonly users: Collection<UserRecord>;
  /** Conditional writes per user, serialized in-process (see keyed-mutex.ts for FerretDB 1.x). */
  private readonly writes = new KeyedMutex();

  constructor(store: Store) {
    this.users = store.models.User.collection as unknown as Collection<UserRecord>;
  }

  async insert(user: UserRecord): Promise<void> {
    try {
      await this.users.insertOne(user);
    } catch (err) {
      throw asDuplicateKey(err) ?? err;
    }
  }

  async findVisible(orgId: string, id: string): Promise<UserRecord | null> {
    return this.users.findOne({ _id: id, orgId, ...VISIBLE } as Filter<UserRecord>);
  }

  async list(orgId: string, query: ListQuery): Promise<UserRecord[]> {
    const filter = { $and: [{ orgId }, VISIBLE, query.filter] } as Filter<UserRecord>;
    const projection = Object.fromEntries((query.omit ?? []).map((f) => [f, 0]));
    return this.users
      .find(filter, { projection })
      .sort(query.sort as Sort)
      .skip(query.skip)
      .limit(query.limit)
      .toArray();
  }

  async count(orgId: string, filter: Record<string, unknown>): Promise<number> {
    return this.users.countDocuments({ $and: [{ orgId }, VISIBLE, filter] } as Filter<UserRecord>);
  }

  /**
   * Writes the whole user if it is still at `expectedVersion` (optimistic
   * concurrency: a concurrent change is detected, never overwritten).
   * Returns false when the version moved or the user is gone.
   */
  async replace(orgId: string, expectedVersion: number, user: UserRecord): Promise<boolean> {
    return this.writes.run(user._id, async () => {
      try {
        const result = await this.users.replaceOne(
          { _id: user._id, orgId, version: expectedVersion, ...VISIBLE } as Filter<UserRecord>,
          user,
        );
        return result.matchedCount === 1;
      } catch (err) {
        throw asDuplicateKey(err) ?? err;
      }
    });
  }
}
