import { z } from 'zod';
import type { MetaRepository } from '../../store/meta.repository.js';
import type { OrganizationRepository } from '../../store/organization.repository.js';
import type { Repositories } from '../../store/repositories.js';
import { ScimError } from '../../scim/errors.js';
import type { Clock, RequestContext } from '../context.js';
import { hashTokenSecret, newSecret, sameHash } from '../secrets.js';
import { MANAGE_USERS } from '../organization-settings.js';
import { newPassword } from '../sessions/session.service.js';
import type { UserService } from '../users/user.service.js';
import type { UserRecord } from '../../store/user.repository.js';

/** The live setup secret (hashed) and the organization it sets up. */
const SETUP_KEY = 'console-setup';
/** Claimed once by the request that completes the setup: the link works once, across processes. */
const USED_KEY = 'console-setup-used';

interface SetupRecord {
  orgId: string;
  secretHash: string;
}

export const setupInput = z
  .object({
    token: z.string().min(1).max(200),
    email: z.email().max(256),
    name: z.string().trim().min(1).max(200).optional(),
    password: newPassword,
  })
  .strict();
export type SetupInput = z.infer<typeof setupInput>;

const SETUP_ACTOR = { type: 'system' as const, id: 'console-setup', name: 'console setup link' };

/**
 * The first administrator of a new deployment (README "Console"): on an empty database Roster
 * prints a one-time setup link; whoever opens it chooses the email and password of the first user
 * holding a role with manage_users. Until it is used, every start prints a fresh link (the
 * secret is stored only as a hash, so an old one cannot be shown again) and the previous one
 * stops working.
 */
export class ConsoleSetup {
  private readonly meta: MetaRepository;
  private readonly orgs: OrganizationRepository;

  constructor(
    repos: Repositories,
    private readonly clock: Clock,
    private readonly users: UserService,
  ) {
    this.meta = repos.meta;
    this.orgs = repos.organizations;
  }

  /** A fresh setup secret for the organization; undefined once the setup was completed. */
  async issue(orgId: string): Promise<string | undefined> {
    if ((await this.meta.get(USED_KEY)) !== undefined) return undefined;
    const secret = newSecret();
    await this.meta.put(SETUP_KEY, { orgId, secretHash: hashTokenSecret(secret) } satisfies SetupRecord, this.clock.now());
    return secret;
  }

  /** A fresh secret when a setup link was issued once and never used (a later start); else undefined. */
  async renewIfPending(): Promise<string | undefined> {
    const record = await this.meta.get<SetupRecord>(SETUP_KEY);
    if (!record || !(await this.orgs.findById(record.orgId))) return undefined;
    return this.issue(record.orgId);
  }

  /**
   * Creates the first administrator with the chosen email and password (no change asked at
   * sign-in: they chose it). 404 for a wrong or replaced link, 410 once it was used.
   */
  async complete(input: SetupInput, requestId: string, scimBaseUrl: string): Promise<{ orgId: string; user: UserRecord }> {
    const record = await this.meta.get<SetupRecord>(SETUP_KEY);
    // Hash and compare even without a record, so timing does not tell whether one exists.
    const matches = sameHash(hashTokenSecret(input.token), record?.secretHash ?? 'x');
    if ((await this.meta.get(USED_KEY)) !== undefined) {
      throw new ScimError(410, 'token: this setup link was used already; sign in with the account it created');
    }
    if (!record || !matches) throw new ScimError(404, 'token: this setup link is not valid (a restart prints a new one)');
    const org = await this.orgs.findById(record.orgId);
    if (!org) throw new ScimError(404, 'token: the organization of this setup link no longer exists');
    const adminRole = [...org.roles].sort((a, b) => b.precedence - a.precedence).find((r) => r.permissions.includes(MANAGE_USERS));
    if (!adminRole) throw new ScimError(409, `no role of the organization grants ${MANAGE_USERS}`);
    if (!(await this.meta.claim(USED_KEY, { at: this.clock.now().toISOString() }, this.clock.now()))) {
      throw new ScimError(410, 'token: this setup link was used already; sign in with the account it created');
    }
    const ctx: RequestContext = { orgId: org._id, actor: SETUP_ACTOR, requestId, scimBaseUrl };
    try {
      const user = await this.users.create(
        ctx,
        {
          userName: input.email,
          emails: [{ value: input.email, type: 'work', primary: true }],
          password: input.password,
          ...(input.name ? { displayName: input.name, name: { formatted: input.name } } : {}),
          roles: [{ value: adminRole.key, primary: true }],
        },
        { mustChangePassword: false },
      );
      return { orgId: org._id, user };
    } catch (err) {
      // Nothing was created (a domain rule, a taken email): the link stays usable.
      await this.meta.release(USED_KEY);
      throw err;
    }
  }
}
