import type { Store } from '../../store/connection.js';
import { DuplicateKeyError } from '../../store/errors.js';
import { UserRepository, type UserRecord, type UserStatus } from '../../store/user.repository.js';
import { ScimError, badRequest, conflict, notFound, preconditionFailed } from '../../scim/errors.js';
import { applyPatch } from '../../scim/patch.js';
import type { Clock, RequestContext } from '../context.js';
import { hashPassword } from '../secrets.js';
import { newId } from '../tokens.js';
import { parseUserResource, recordFieldsFrom, userToScim, type UserInput } from './user.mapper.js';

/** How often a write is retried when another request changed the same user in between. */
const MAX_WRITE_ATTEMPTS = 8;

export interface ListPage {
  totalResults: number;
  items: UserRecord[];
}

export interface UserListQuery {
  filter: Record<string, unknown>;
  sort: Record<string, 1 | -1>;
  /** 0-based */
  skip: number;
  limit: number;
}

/** SCIM `active` is true for invited and active users (PRODUCT.md "User lifecycle"). */
export function isActiveStatus(status: UserStatus): boolean {
  return status === 'invited' || status === 'active';
}

function statusAfter(current: UserStatus | undefined, active: boolean | undefined): UserStatus {
  if (active === undefined) return current ?? 'active';
  if (!active) return 'suspended';
  // Reactivating keeps an invited user invited: onboarding is not done by a SCIM flag.
  return current === 'invited' ? 'invited' : 'active';
}

/** If-Match (RFC 7644 3.14, RFC 9110 13.1.1): weak comparison of the listed ETags, or "*". */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*')) return;
  const current = `"${version}"`;
  if (!tags.some((t) => t.replace(/^W\//, '') === current)) {
    throw preconditionFailed(`If-Match ${ifMatch} does not match the current version W/${current}`);
  }
}

export class UserService {
  readonly repo: UserRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repo = new UserRepository(store);
  }

  toScim(user: UserRecord, ctx: RequestContext): Record<string, unknown> {
    return userToScim(user, ctx.scimBaseUrl);
  }

  async get(ctx: RequestContext, id: string): Promise<UserRecord> {
    const user = await this.repo.findVisible(ctx.orgId, id);
    if (!user) throw notFound(`User ${id} not found`);
    return user;
  }

  async count(ctx: RequestContext, filter: Record<string, unknown>): Promise<number> {
    return this.repo.count(ctx.orgId, filter);
  }

  async list(ctx: RequestContext, query: UserListQuery): Promise<ListPage> {
    const [totalResults, items] = await Promise.all([
      this.repo.count(ctx.orgId, query.filter),
      query.limit > 0 ? this.repo.list(ctx.orgId, query) : Promise.resolve([]),
    ]);
    return { totalResults, items };
  }

  async create(ctx: RequestContext, body: unknown): Promise<UserRecord> {
    const input = parseUserResource(body);
    const id = newId();
    const now = this.clock.now();
    const status = statusAfter(undefined, input.active);
    const user: UserRecord = {
      _id: id,
      orgId: ctx.orgId,
      ...recordFieldsFrom(input, id),
      active: isActiveStatus(status),
      status,
      created: now,
      lastModified: now,
      version: 1,
    };
    if (input.password !== undefined) user.passwordHash = await hashPassword(input.password);
    await this.write(() => this.repo.insert(user), input);
    return user;
  }

  /** PUT: replaces every client-writable attribute (RFC 7644 3.5.1); read-only ones in the body are ignored. */
  async replace(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserRecord> {
    const input = parseUserResource(body);
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    return this.update(ctx, id, ifMatch, () => ({ input, passwordHash }));
  }

  /** PATCH: applies the operations to the current resource; retried on a concurrent change, so none is lost. */
  async patch(ctx: RequestContext, id: string, body: unknown, ifMatch?: string): Promise<UserRecord> {
    return this.update(ctx, id, ifMatch, async (current) => {
      const { resource, changed } = applyPatch(userToScim(current, ctx.scimBaseUrl), body, 'User');
      if (!changed) return undefined;
      const input = parseUserResource(resource);
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
      return { input, passwordHash };
    });
  }

  /** DELETE: the user moves to recently deleted; for SCIM it is gone (RFC 7644 3.6), and its names are free. */
  async remove(ctx: RequestContext, id: string, ifMatch?: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(ctx, id);
      checkIfMatch(ifMatch, current.version);
      const now = this.clock.now();
      const deleted: UserRecord = {
        ...current,
        status: 'deleted',
        active: false,
        previousStatus: current.status,
        deletedAt: now,
        userNameKey: `~deleted:${id}`,
        emailKey: `~deleted:${id}`,
        lastModified: now,
        version: current.version + 1,
      };
      if (await this.repo.replace(ctx.orgId, current.version, deleted)) return;
    }
    throw new ScimError(409, `User ${id} is being changed by other requests; try again`);
  }

  private async update(
    ctx: RequestContext,
    id: string,
    ifMatch: string | undefined,
    change: (current: UserRecord) => Promise<{ input: UserInput; passwordHash?: string | undefined } | undefined> | { input: UserInput; passwordHash?: string | undefined },
  ): Promise<UserRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(ctx, id);
      checkIfMatch(ifMatch, current.version);
      const next = await change(current);
      if (!next) return current;
      const status = statusAfter(current.status, next.input.active);
      const user: UserRecord = {
        _id: current._id,
        orgId: current.orgId,
        ...recordFieldsFrom(next.input, current._id),
        active: isActiveStatus(status),
        status,
        created: current.created,
        lastModified: this.clock.now(),
        version: current.version + 1,
      };
      for (const key of ['groupIds', 'invitedAt', 'onboardedAt', 'passwordHash'] as const) {
        if (current[key] !== undefined) (user as unknown as Record<string, unknown>)[key] = current[key];
      }
      if (next.passwordHash !== undefined) user.passwordHash = next.passwordHash;
      let written = false;
      await this.write(async () => {
        written = await this.repo.replace(ctx.orgId, current.version, user);
      }, next.input);
      if (written) return user;
    }
    throw new ScimError(409, `User ${id} is being changed by other requests; try again`);
  }

  /** Runs a write and turns a unique-index clash into 409 uniqueness naming the value. */
  private async write(op: () => Promise<void>, input: UserInput): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (err instanceof DuplicateKeyError) {
        if (err.index.includes('email')) {
          throw conflict(`a user with the sign-in email of "${input.userName}" already exists in this organization`);
        }
        throw conflict(`userName "${input.userName}" is already taken in this organization`);
      }
      throw err;
    }
  }
}

export { badRequest };
