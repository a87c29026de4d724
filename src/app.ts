import express, { type Express } from 'express';
import helmet from 'helmet';
import { systemClock } from './domain/context.js';
import { createAuthenticator } from './http/auth.js';
import { errorHandler } from './http/errors.js';
import { healthRouter } from './http/health.router.js';
import { loadOpenapiDocument, openapiRouter } from './http/openapi.router.js';
import { metricsRouter, observeRequests } from './http/metrics.js';
import { requestLogger } from './http/request-log.js';
import { RateLimits } from './http/rate-limit.js';
import { usersRouter } from './http/scim/users.router.js';
import { rootSearchRouter } from './http/scim/root-search.js';
import { discoveryRouter } from './http/scim/discovery.router.js';
import { groupsRouter } from './http/scim/groups.router.js';
import { bulkRouter, isBulkPath } from './http/scim/bulk.router.js';
import { collapseSlashes, methodNotAllowed } from './http/methods.js';
import { extensionsContext, optionally } from './http/scim/extensions.js';
import { schemaExtensionsRouter } from './http/admin/schema-extensions.router.js';
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
import {
  passwordResetCompleteRouter,
  signinRouter,
  userPasswordResetRouter,
  userSessionsRouter,
} from './http/admin/sessions.router.js';
import { ConsoleSessions } from './http/console/console-session.js';
import { consoleApp, publicPagesApp } from './http/console/console.router.js';
import { externalBaseUrl } from './http/respond.js';
import { eventStreamsRouter, ssfRouter } from './http/events/ssf.router.js';
import { refuseNulCharacters } from './http/json-body.js';
import { notFound } from './scim/errors.js';
import {
  DISCOVERY_SCHEMAS,
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  ROSTER_USER_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from './scim/schemas.js';

import { createServices, type AppDeps, type Services } from './container.js';
import { EVENTS_SUPPORTED } from './domain/events/scim-events.js';

export { createServices, type AppDeps, type Services };

/** The Express app. It never listens: main.ts does, and tests drive it through supertest. */
export function createApp(deps: AppDeps, services: Services = createServices(deps)): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Before anything reads req.url: a base URL entered with a trailing slash yields `//Users`.
  app.use(collapseSlashes);
  app.use(helmet());
  app.use(requestLogger(deps.logger));
  const documentedPaths = loadOpenapiDocument(config.projectRoot).paths as Record<string, Record<string, unknown>>;
  app.use(observeRequests(services.metrics, Object.keys(documentedPaths)));
  // RFC 9110 15.5.6 / RFC 7644 3.12: 405 with Allow for a method the document does not list on a path.
  app.use(methodNotAllowed(documentedPaths));
  // RFC 7644 3.1: application/scim+json, and application/json which clients also send.
  app.use(
    express.json({
      limit: config.bodyLimit,
      // /Bulk reads its own body under maxPayloadSize (RFC 7644 3.7.4), which this limit must not cut;
      // POST /api/v1/imports reads its file under ROSTER_IMPORT_MAX_BYTES.
      type: (req) =>
        !isBulkPath(req.url ?? '') && !isImportPath(req.url ?? '') && Boolean((req as express.Request).is(['application/json', 'application/scim+json', 'application/*+json'])),
      strict: true,
      reviver: refuseNulCharacters,
    }),
  );

  app.use(healthRouter(() => deps.store.ping(), deps.lifecycle));
  // Prometheus scrapes with its own token (README "Metrics"); without ROSTER_METRICS_TOKEN there is no /metrics.
  if (config.metricsToken) app.use(metricsRouter(services.metrics, config.metricsToken));
  // Per token, per client address and per failed authentication (README "Rate limits"): shared in the
  // database where several processes may serve it, in memory on FerretDB 1.x (one process).
  const rateLimits = new RateLimits(
    config.rateLimit,
    deps.store.capabilities.atomicConditionalUpdates && deps.store.connection.db ? { db: deps.store.connection.db } : {},
  );
  app.use(rateLimits.byAddress());
  app.use(openapiRouter({ projectRoot: config.projectRoot, baseUrl: config.baseUrl }));

  // The console's session cookie is accepted wherever an admin token is (README "Console").
  const consoleSessions = new ConsoleSessions(services.organizations.repo, services.sessions);
  const authenticate = createAuthenticator(
    services.tokens,
    async (req) => {
      const token = consoleSessions.tokenOf(req);
      if (!token) return undefined;
      return (await consoleSessions.identify(req, token, `${externalBaseUrl(req, config.baseUrl)}/scim/v2`)).principal;
    },
    rateLimits,
  );
  // SSF transmitter (docs/events.md): /.well-known/ssf-configuration and /ssf/*.
  app.use(ssfRouter({ events: services.events, audit: services.audit, baseUrl: config.baseUrl, port: config.port, authenticate: authenticate('admin') }));
  const limits = { defaultPageSize: config.defaultPageSize, maxPageSize: config.maxPageSize };

  const scim = express.Router();
  // Custom schema extensions (README "Custom schema extensions"): the organization's, per request.
  const orgExtensions = extensionsContext(services.schemaExtensions);
  scim.use('/Schemas', optionally(authenticate('scim')), orgExtensions);
  scim.use('/ResourceTypes', optionally(authenticate('scim')), orgExtensions);
  scim.use(
    discoveryRouter({
      baseUrl: config.baseUrl,
      resourceTypes: [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE],
      schemas: [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA, ...DISCOVERY_SCHEMAS],
      serviceProvider: {
        maxResults: config.maxPageSize,
        patch: true,
        bulk: { supported: true, maxOperations: config.bulk.maxOperations, maxPayloadSize: config.bulk.maxPayloadBytes },
        filter: true,
        sort: true,
        etag: true,
        changePassword: true,
        cursor: {
          supported: true,
          maxPageSize: config.maxPageSize,
          cursorTimeout: config.cursorTimeoutSeconds,
          // RFC 9865 4: the page size a list without `count` answers with (ROSTER_DEFAULT_PAGE_SIZE).
          defaultPageSize: config.defaultPageSize,
        },
        // RFC 9967 section 4: what an event stream (docs/events.md) can carry.
        eventUris: EVENTS_SUPPORTED,
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
  scim.use('/Users', authenticate('scim'), orgExtensions, usersRouter(usersDeps));
  scim.use('/Groups', authenticate('scim'), orgExtensions, groupsRouter({ ...usersDeps, groups: services.groups }));
  // POST /.search at the root: Users and Groups as one sorted, paged list (RFC 7644 3.4.3).
  scim.use('/.search', authenticate('scim'), orgExtensions, rootSearchRouter({ ...usersDeps, groups: services.groups }));
  const bulk = new BulkService({ Users: userBulkHandler(services.users), Groups: groupBulkHandler(services.groups) });
  scim.use(
    '/Bulk',
    authenticate('scim'),
    orgExtensions,
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
  api.use('/audit', authenticate('admin'), auditRouter({ audit: services.audit, baseUrl: config.baseUrl }));
  api.use('/tokens', authenticate('admin'), tokensRouter({ tokens: services.tokens, audit: services.audit, baseUrl: config.baseUrl }));
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
  api.use(
    '/schema-extensions',
    authenticate('admin'),
    schemaExtensionsRouter({ extensions: services.schemaExtensions, audit: services.audit, baseUrl: config.baseUrl }),
  );
  api.use('/jobs', authenticate('admin'), jobsRouter({ imports: services.imports, baseUrl: config.baseUrl }));
  api.use('/event-streams', authenticate('admin'), eventStreamsRouter({ events: services.events, audit: services.audit, baseUrl: config.baseUrl }));
  api.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);

  const consoleDeps = { baseUrl: config.baseUrl, publicUrl: config.publicUrl, projectRoot: config.projectRoot };
  app.use('/admin', consoleApp({ ...consoleDeps, consoleSessions, sessions: services.sessions, setup: services.consoleSetup }));
  app.use(publicPagesApp(consoleDeps));

  app.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
