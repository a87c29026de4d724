import type { Collection } from 'mongodb';
import type { Store } from './connection.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface RoleRecord {
  key: string;
  name: string;
  precedence: number;
  permissions: string[];
}

export interface OrganizationRecord {
  _id: string;
  name: string;
  domains: string[];
  allowSubdomains: boolean;
  seatLimit: number | null;
  roleMode: 'single' | 'multiple';
  roles: RoleRecord[];
  defaultRole: string;
  companies: string[];
  retentionDays: number;
  invitationTtlHours: number;
  created: Date;
  lastModified: Date;
}

export class OrganizationRepository {
  private readonly orgs: Collection<OrganizationRecord>;

  constructor(
    store: Store,
    private readonly writes: KeyedMutex = new KeyedMutex(),
  ) {
    this.orgs = store.models.Organization.collection as unknown as Collection<OrganizationRecord>;
  }

  /** Runs a read-check-write on one organization's document, serialized in-process (keyed-mutex.ts). */
  exclusive<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    return this.writes.run(orgId, work);
  }

  async insert(org: OrganizationRecord): Promise<void> {
    await this.orgs.insertOne(org);
  }

  async findById(id: string): Promise<OrganizationRecord | null> {
    return this.orgs.findOne({ _id: id });
  }

  async list(skip: number, limit: number): Promise<OrganizationRecord[]> {
    return this.orgs.find({}).sort({ created: 1, _id: 1 }).skip(skip).limit(limit).toArray();
  }

  async count(): Promise<number> {
    return this.orgs.countDocuments({});
  }

  /** Sets the given settings (side API); false when the organization is gone. */
  async updateSettings(id: string, set: Partial<Omit<OrganizationRecord, '_id' | 'created'>>): Promise<boolean> {
    const result = await this.orgs.updateOne({ _id: id }, { $set: set });
    return result.matchedCount === 1;
  }
}
