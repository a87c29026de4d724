import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Store } from './store/connection.js';
import { systemClock, type Clock } from './domain/context.js';
import { OrganizationService } from './domain/organizations.js';
import { TokenService } from './domain/tokens.js';
import { UserService } from './domain/users/user.service.js';
import { GroupService } from './domain/groups/group.service.js';
import { createAuthenticator } from './http/auth.js';
import { errorHandler } from './http/errors.js';
import { healthRouter } from './http/health.router.js';
import { openapiRouter } from './http/openapi.router.js';
import { requestLogger } from './http/request-log.js';
import { rootSearchRouter, usersRouter } from './http/scim/users.router.js';
import { discoveryRouter } from './http/scim/discovery.router.js';
import { groupsRouter } from './http/scim/groups.router.js';
import { bulkRouter, isBulkPath } from './http/scim/bulk.router.js';
import { BulkService, groupBulkHandler, userBulkHandler } from './domain/bulk/bulk.service.js';
import { rolesRouter } from './http/admin/roles.router.js';
import { organizationsRouter } from './http/admin/organizations.router.js';
import { userLifecycleRouter } from './http/admin/user-lifecycle.router.js';
import { usersRouter as adminUsersRouter } from './http/admin/users.router.js';
import { seatsRouter } from './http/admin/seats.router.js';
import { auditRouter } from './http/admin/audit.router.js';
import { tokensRouter } from './http/admin/tokens.router.js';
import { organizationRouter } from './http/admin/organization.router.js';
import { invitationAcceptRouter, invitationsRouter } from './http/admin/invitations.router.js';
import { outboxRouter } from './http/admin/outbox.router.js';
import { kpisRouter } from './http/admin/kpis.router.js';
import { importsRouter, isImportPath, jobsRouter } from './http/admin/imports.router.js';
import { ImportService } from './domain/imports/import.service.js';
import {
  passwordResetCompleteRouter,
  signinRouter,
  userPasswordResetRouter,
  userSessionsRouter,
} from './http/admin/sessions.router.js';
import { SessionService } from './domain/sessions/session.service.js';
import { PasswordResetService } from './domain/password-reset/password-reset.service.js';
import { OrganizationSettingsService } from './domain/organization-settings.js';
import { InvitationService } from './domain/invitations/invitation.service.js';
import { OutboxMailer, SmtpMailer } from './domain/invitations/mailer.js';
import { OutboxRepository } from './store/outbox.repository.js';
import { EventService } from './domain/events/event.service.js';
import { eventStreamsRouter, ssfRouter } from './http/events/ssf.router.js';
import { notFound } from './scim/errors.js';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  ROSTER_USER_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from './scim/schemas.js';

export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  clock?: Clock;
}

export interface Services {
  organizations: OrganizationService;
  tokens: TokenService;
  users: UserService;
  settings: OrganizationSettingsService;
  invitations: InvitationService;
  outbox: OutboxRepository;
  groups: GroupService;
  sessions: SessionService;
  passwordResets: PasswordResetService;
  imports: ImportService;
  events: EventService;
}

export function createServices(deps: AppDeps): Services {
  const clock = deps.clock ?? systemClock;
  const users = new UserService(deps.store, clock, deps.logger);
  const outbox = new OutboxRepository(deps.store);
  // PRODUCT.md "Side API": delivery by SMTP; without it, messages go to the outbox.
  const mailer = deps.config.smtpUrl ? new SmtpMailer(deps.config.smtpUrl, deps.config.smtpFrom) : new OutboxMailer(outbox, clock);
  const invitations = new InvitationService(deps.store, clock, users, mailer);
  const groups = new GroupService(deps.store, clock, deps.logger);
  // Lifecycle events (docs/events.md): relayed through the same repositories (and mutexes) that write.
  const events = new EventService(deps.store, clock, deps.config.events, deps.logger, users.repo, groups.repo);
  users.eventSink = events;
  groups.eventSink = events;
  return {
    organizations: new OrganizationService(deps.store, clock),
    tokens: new TokenService(deps.store, clock, deps.config.operatorToken),
    users,
    settings: new OrganizationSettingsService(deps.store, clock, users.audit),
    invitations,
    outbox,
    groups,
    // Both listen to users.onAccessEnded: suspend, delete and password changes end sessions and reset links.
    sessions: new SessionService(deps.store, clock, users, {
      ttlHours: deps.config.sessionTtlHours,
      throttle: deps.config.signinThrottle,
    }),
    passwordResets: new PasswordResetService(deps.store, clock, users, mailer, { ttlHours: deps.config.passwordResetTtlHours }),
    // Bulk invitations run in this process; main.ts resumes interrupted jobs at start and stops them on shutdown.
    imports: new ImportService(deps.store, clock, users, invitations, deps.logger, deps.config.imports),
    events,
  };
}

/** The Express app. It never listens: main.ts does, and tests drive it through supertest. */
export function createApp(deps: AppDeps, services: Services = createServices(deps)): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  app.use(requestLogger(deps.logger));
  // RFC 7644 3.1: application/scim+json, and application/json which clients also send.
  app.use(
    express.json({
      limit: config.bodyLimit,
      // /Bulk reads its own body under maxPayloadSize (RFC 7644 3.7.4), which this limit must not cut;
      // POST /api/v1/imports reads its file under ROSTER_IMPORT_MAX_BYTES.
      type: (req) =>
        !isBulkPath(req.url ?? '') && !isImportPath(req.url ?? '') && Boolean((req as express.Request).is(['application/json', 'application/scim+json', 'application/*+json'])),
      strict: true,
    }),
  );

  app.use(healthRouter(() => deps.store.ping()));
  app.use(openapiRouter({ projectRoot: config.projectRoot, baseUrl: config.baseUrl }));

  const authenticate = createAuthenticator(services.tokens);
  // SSF transmitter (docs/events.md): /.well-known/ssf-configuration and /ssf/*.
  app.use(ssfRouter({ events: services.events, audit: services.users.audit, baseUrl: config.baseUrl, port: config.port, authenticate: authenticate('admin') }));
  const limits = { defaultPageSize: config.defaultPageSize, maxPageSize: config.maxPageSize };

  const scim = express.Router();
  scim.use(
    discoveryRouter({
      baseUrl: config.baseUrl,
      resourceTypes: [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE],
      schemas: [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA],
      serviceProvider: {
        maxResults: config.maxPageSize,
        patch: true,
        bulk: { supported: true, maxOperations: config.bulk.maxOperations, maxPayloadSize: config.bulk.maxPayloadBytes },
        filter: true,
        sort: true,
        etag: true,
        changePassword: true,
        cursor: { supported: true, maxPageSize: config.maxPageSize, cursorTimeout: config.cursorTimeoutSeconds },
      },
    }),
  );
  const usersDeps = {
    users: services.users,
    limits,
    baseUrl: config.baseUrl,
    clock: deps.clock ?? systemClock,
    cursorTimeoutSeconds: config.cursorTimeoutSeconds,
  };
  scim.use('/Users', authenticate('scim'), usersRouter(usersDeps));
  scim.use('/Groups', authenticate('scim'), groupsRouter({ ...usersDeps, groups: services.groups }));
  // POST /.search at the root stays Users-only: merging two resource types into one sorted,
  // paged (index and cursor) result is not a small change; clients use /Groups/.search.
  scim.use('/.search', authenticate('scim'), rootSearchRouter(usersDeps));
  const bulk = new BulkService({ Users: userBulkHandler(services.users), Groups: groupBulkHandler(services.groups) });
  scim.use(
    '/Bulk',
    authenticate('scim'),
    bulkRouter({ bulk, baseUrl: config.baseUrl, maxOperations: config.bulk.maxOperations, maxPayloadBytes: config.bulk.maxPayloadBytes }),
  );
  scim.use((req, _res, next) => next(notFound(`no SCIM endpoint at ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/scim/v2', scim);

  const api = express.Router();
  api.use(
    '/organizations',
    authenticate('operator'),
    organizationsRouter({ organizations: services.organizations, tokens: services.tokens }),
  );
  // Sign-in for the platform's login page (scope signin); the reset link is public (its secret is the credential).
  const sessionDeps = { sessions: services.sessions, passwordResets: services.passwordResets, baseUrl: config.baseUrl, publicUrl: config.publicUrl };
  api.use('/sessions', authenticate('signin'), signinRouter(sessionDeps));
  api.use('/password-resets', passwordResetCompleteRouter(sessionDeps));
  // On their own paths (not '/users'), so the other /users routes are not authenticated twice.
  api.use('/users/:id/sessions', authenticate('admin'), userSessionsRouter(sessionDeps));
  api.use('/users/:id/password-reset', authenticate('admin'), userPasswordResetRouter(sessionDeps));
  api.use('/users', authenticate('admin'), userLifecycleRouter({ users: services.users, baseUrl: config.baseUrl }));
  api.use('/users', authenticate('admin'), adminUsersRouter({ users: services.users, baseUrl: config.baseUrl }));
  api.use('/seats', authenticate('admin'), seatsRouter({ users: services.users, baseUrl: config.baseUrl }));
  api.use('/roles', authenticate('admin'), rolesRouter({ groups: services.groups, baseUrl: config.baseUrl }));
  api.use('/audit', authenticate('admin'), auditRouter({ audit: services.users.audit, baseUrl: config.baseUrl }));
  api.use('/tokens', authenticate('admin'), tokensRouter({ tokens: services.tokens, audit: services.users.audit, baseUrl: config.baseUrl }));
  api.use('/organization', authenticate('admin'), organizationRouter({ settings: services.settings, baseUrl: config.baseUrl }));
  // Public: the invitee has no token; the link's secret is the credential. Mounted before the admin routes.
  api.use('/invitations', invitationAcceptRouter({ invitations: services.invitations, baseUrl: config.baseUrl }));
  api.use(
    '/invitations',
    authenticate('admin'),
    invitationsRouter({ invitations: services.invitations, baseUrl: config.baseUrl, publicUrl: config.publicUrl }),
  );
  api.use('/outbox', authenticate('admin'), outboxRouter({ outbox: services.outbox, baseUrl: config.baseUrl }));
  api.use('/kpis', authenticate('admin'), kpisRouter({ invitations: services.invitations, users: services.users, baseUrl: config.baseUrl }));
  api.use(
    '/imports',
    authenticate('admin'),
    importsRouter({ imports: services.imports, baseUrl: config.baseUrl, publicUrl: config.publicUrl, maxBytes: config.imports.maxBytes }),
  );
  api.use('/jobs', authenticate('admin'), jobsRouter({ imports: services.imports, baseUrl: config.baseUrl }));
  api.use('/event-streams', authenticate('admin'), eventStreamsRouter({ events: services.events, audit: services.users.audit, baseUrl: config.baseUrl }));
  api.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);

  app.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
