import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Store } from './store/connection.js';
import { systemClock, type Clock } from './domain/context.js';
import { OrganizationService } from './domain/organizations.js';
import { TokenService } from './domain/tokens.js';
import { UserService } from './domain/users/user.service.js';
import { createAuthenticator } from './http/auth.js';
import { errorHandler } from './http/errors.js';
import { healthRouter } from './http/health.router.js';
import { openapiRouter } from './http/openapi.router.js';
import { requestLogger } from './http/request-log.js';
import { rootSearchRouter, usersRouter } from './http/scim/users.router.js';
import { discoveryRouter } from './http/scim/discovery.router.js';
import { organizationsRouter } from './http/admin/organizations.router.js';
import { userLifecycleRouter } from './http/admin/user-lifecycle.router.js';
import { seatsRouter } from './http/admin/seats.router.js';
import { auditRouter } from './http/admin/audit.router.js';
import { notFound } from './scim/errors.js';
import { ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA, USER_RESOURCE_TYPE, USER_SCHEMA } from './scim/schemas.js';

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
}

export function createServices(deps: AppDeps): Services {
  const clock = deps.clock ?? systemClock;
  return {
    organizations: new OrganizationService(deps.store, clock),
    tokens: new TokenService(deps.store, clock, deps.config.operatorToken),
    users: new UserService(deps.store, clock, deps.logger),
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
      type: ['application/json', 'application/scim+json', 'application/*+json'],
      strict: true,
    }),
  );

  app.use(healthRouter(() => deps.store.ping()));
  app.use(openapiRouter({ projectRoot: config.projectRoot, baseUrl: config.baseUrl }));

  const authenticate = createAuthenticator(services.tokens);
  const limits = { defaultPageSize: config.defaultPageSize, maxPageSize: config.maxPageSize };

  const scim = express.Router();
  scim.use(
    discoveryRouter({
      baseUrl: config.baseUrl,
      // Groups are not served yet (issue 6), so neither is their resource type or schema.
      resourceTypes: [USER_RESOURCE_TYPE],
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA],
      serviceProvider: {
        maxResults: config.maxPageSize,
        patch: true,
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
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
  scim.use('/.search', authenticate('scim'), rootSearchRouter(usersDeps));
  scim.use((req, _res, next) => next(notFound(`no SCIM endpoint at ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/scim/v2', scim);

  const api = express.Router();
  api.use(
    '/organizations',
    authenticate('operator'),
    organizationsRouter({ organizations: services.organizations, tokens: services.tokens }),
  );
  api.use('/users', authenticate('admin'), userLifecycleRouter({ users: services.users, baseUrl: config.baseUrl }));
  api.use('/seats', authenticate('admin'), seatsRouter({ users: services.users, baseUrl: config.baseUrl }));
  api.use('/audit', authenticate('admin'), auditRouter({ audit: services.users.audit, baseUrl: config.baseUrl }));
  api.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);

  app.use((req, _res, next) => next(notFound(`no route at ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
