import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Store } from './store/connection.js';
import { createRepositories } from './store/repositories.js';
import { systemClock, type Clock } from './domain/context.js';
import { configurePasswordHashing } from './domain/secrets.js';
import { ConsoleSetup } from './domain/console/console-setup.js';
import type { Lifecycle } from './http/health.router.js';
import { Metrics } from './metrics.js';
import { AuditService } from './domain/audit/audit.service.js';
import { SeatService } from './domain/seats.js';
import { OrganizationService } from './domain/organizations.js';
import { TokenService } from './domain/tokens.js';
import { UserService } from './domain/users/user.service.js';
import { GroupService } from './domain/groups/group.service.js';
import { SchemaExtensionService } from './domain/schema-extensions.js';
import { ImportService } from './domain/imports/import.service.js';
import { SessionService } from './domain/sessions/session.service.js';
import { PasswordResetService } from './domain/password-reset/password-reset.service.js';
import { OrganizationSettingsService } from './domain/organization-settings.js';
import { InvitationService } from './domain/invitations/invitation.service.js';
import { OutboxMailer, SmtpMailer } from './domain/invitations/mailer.js';
import { OutboxService } from './domain/invitations/outbox.js';
import { EventService } from './domain/events/event.service.js';

export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  clock?: Clock;
  /** Shared by createServices and createApp; main.ts passes one with process metrics. */
  metrics?: Metrics;
  /** main.ts sets `stopping` on SIGTERM: /readyz answers 503 from then on. */
  lifecycle?: Lifecycle;
}

export interface Services {
  organizations: OrganizationService;
  tokens: TokenService;
  users: UserService;
  audit: AuditService;
  settings: OrganizationSettingsService;
  invitations: InvitationService;
  outbox: OutboxService;
  groups: GroupService;
  sessions: SessionService;
  passwordResets: PasswordResetService;
  imports: ImportService;
  schemaExtensions: SchemaExtensionService;
  consoleSetup: ConsoleSetup;
  metrics: Metrics;
  events: EventService;
}

/**
 * The composition root (docs/architecture.md "Composition"): builds each repository once, with one
 * KeyedMutex per collection (store/repositories.ts), then each service once, and injects them. No
 * other module builds a repository or a service that another one also builds.
 */
export function createServices(deps: AppDeps): Services {
  const clock = deps.clock ?? systemClock;
  configurePasswordHashing(deps.config.scryptLogN);
  const metrics = deps.metrics ?? new Metrics({ processMetrics: false });
  deps.store.observeCommands((command, seconds, ok) => metrics.databaseCommand(command, seconds, ok));
  const repos = createRepositories(deps.store);
  const audit = new AuditService(repos, deps.logger);
  const seats = new SeatService(repos, clock);
  const users = new UserService(repos, seats, audit, clock, deps.logger);
  // docs/behaviour.md "Side API": delivery by SMTP; without it, messages go to the outbox.
  const mailer = deps.config.smtpUrl ? new SmtpMailer(deps.config.smtpUrl, deps.config.smtpFrom) : new OutboxMailer(repos.outbox, clock);
  const invitations = new InvitationService(repos, clock, users, audit, mailer);
  const schemaExtensions = new SchemaExtensionService(deps.store, clock);
  const groups = new GroupService(repos, audit, clock);
  // Lifecycle events (docs/events.md): relayed through the same repositories (and mutexes) that write;
  // both write paths stamp their events and tell the relay through this sink.
  const events = new EventService(repos, clock, deps.config.events, deps.logger);
  users.eventSink = events;
  groups.eventSink = events;
  events.observer = metrics;
  return {
    organizations: new OrganizationService(repos, clock),
    tokens: new TokenService(repos, clock, deps.config.operatorToken),
    users,
    audit,
    settings: new OrganizationSettingsService(repos, clock, audit),
    invitations,
    outbox: new OutboxService(repos),
    groups,
    // Both listen to users.onAccessEnded: suspend, delete and password changes end sessions and reset links.
    sessions: new SessionService(repos, clock, users, audit, {
      ttlHours: deps.config.sessionTtlHours,
      throttle: deps.config.signinThrottle,
    }),
    passwordResets: new PasswordResetService(repos, clock, users, audit, mailer, { ttlHours: deps.config.passwordResetTtlHours }),
    // Bulk invitations run in this process; main.ts resumes interrupted jobs at start and stops them on shutdown.
    imports: Object.assign(new ImportService(repos, clock, invitations, audit, deps.logger, deps.config.imports, metrics), {
      extensionsFor: (orgId: string) => schemaExtensions.forOrg(orgId),
    }),
    schemaExtensions,
    // The console's one-time first-administrator link (README "Console").
    consoleSetup: new ConsoleSetup(repos, clock, users),
    metrics,
    events,
  };
}
