import type { Store } from './connection.js';
import { AuditRepository } from './audit.repository.js';
import { EventRepository } from './event.repository.js';
import { GroupRepository } from './group.repository.js';
import { ImportRepository } from './import.repository.js';
import { InvitationRepository } from './invitation.repository.js';
import { KeyedMutex } from './keyed-mutex.js';
import { MembershipRepository } from './membership.repository.js';
import { MetaRepository } from './meta.repository.js';
import { OrganizationRepository } from './organization.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import { PasswordResetRepository } from './password-reset.repository.js';
import { SeatRepository } from './seat.repository.js';
import { SessionUsersRepository } from './session-users.repository.js';
import { SessionRepository } from './session.repository.js';
import { SigninThrottleRepository } from './signin-throttle.repository.js';
import { TokenRepository } from './token.repository.js';
import { UserRepository } from './user.repository.js';

/** Every repository of one process, each built once (src/container.ts injects them into the services). */
export interface Repositories {
  users: UserRepository;
  /** Read-only lookups of users by sign-in address (sign-in, password reset). */
  sessionUsers: SessionUsersRepository;
  organizations: OrganizationRepository;
  groups: GroupRepository;
  memberships: MembershipRepository;
  seats: SeatRepository;
  audit: AuditRepository;
  tokens: TokenRepository;
  sessions: SessionRepository;
  signinThrottle: SigninThrottleRepository;
  passwordResets: PasswordResetRepository;
  invitations: InvitationRepository;
  imports: ImportRepository;
  outbox: OutboxRepository;
  meta: MetaRepository;
  /** Lifecycle events, their streams and deliveries (docs/events.md). */
  events: EventRepository;
}

/**
 * Builds the repositories of one process with one KeyedMutex per collection that needs in-process
 * serialization (keyed-mutex.ts: FerretDB 1.x does not apply an update's filter atomically). Because
 * every writer of a collection shares its mutex, correctness no longer rests on "one writer per
 * collection". Two calls make two independent sets, as two processes would have.
 */
export function createRepositories(store: Store): Repositories {
  const locks = {
    users: new KeyedMutex(),
    organizations: new KeyedMutex(),
    groups: new KeyedMutex(),
    seats: new KeyedMutex(),
    sessions: new KeyedMutex(),
    signinThrottles: new KeyedMutex(),
    passwordResets: new KeyedMutex(),
    invitations: new KeyedMutex(),
    jobs: new KeyedMutex(),
    tokens: new KeyedMutex(),
  };
  return {
    users: new UserRepository(store, locks.users),
    sessionUsers: new SessionUsersRepository(store),
    organizations: new OrganizationRepository(store, locks.organizations),
    groups: new GroupRepository(store, locks.groups),
    memberships: new MembershipRepository(store),
    seats: new SeatRepository(store, locks.seats),
    audit: new AuditRepository(store),
    tokens: new TokenRepository(store, locks.tokens),
    sessions: new SessionRepository(store, locks.sessions),
    signinThrottle: new SigninThrottleRepository(store, locks.signinThrottles),
    passwordResets: new PasswordResetRepository(store, locks.passwordResets),
    invitations: new InvitationRepository(store, locks.invitations),
    imports: new ImportRepository(store, locks.jobs),
    outbox: new OutboxRepository(store),
    meta: new MetaRepository(store),
    events: new EventRepository(store),
  };
}
