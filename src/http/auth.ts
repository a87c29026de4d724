import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import type { Principal, TokenService } from '../domain/tokens.js';
import type { Scope } from '../store/token.repository.js';
import { ScimError, unauthorized } from '../scim/errors.js';
import type { RateLimits } from './rate-limit.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User extends Principal {}
  }
}

/**
 * Bearer authentication (RFC 6750) through passport-http-bearer, with a
 * passport instance per app (no shared module state). Passport's custom
 * callback form is used so that failures reach our error handler and leave
 * as SCIM error JSON (or problem details) with WWW-Authenticate.
 */
export function createAuthenticator(
  tokens: TokenService,
  /**
   * The console's session (README "Console"), tried for scope `admin` when the request has no
   * Authorization header: undefined when it carries no console cookie, a Principal, or an error.
   */
  consoleSession?: (req: Request) => Promise<Principal | undefined>,
  limits?: RateLimits,
): (scope: Scope) => RequestHandler {
  const passport = new Passport();
  passport.use(
    new BearerStrategy((token, done) => {
      tokens.authenticate(token).then(
        (principal) => done(null, principal ?? false),
        (err: unknown) => done(err as Error),
      );
    }),
  );

  return (scope: Scope) => (req: Request, res: Response, next: NextFunction) => {
    if (scope === 'admin' && consoleSession && req.headers.authorization === undefined) {
      consoleSession(req).then((principal) => {
        if (!principal) return bearer(scope, req, res, next);
        req.user = principal;
        if (req.log) req.log = req.log.child({ orgId: principal.orgId, tokenId: principal.tokenId });
        if (!limits) return next();
        limits.checkToken(principal.tokenId).then((limited) => next(limited), next);
      }, next);
      return;
    }
    bearer(scope, req, res, next);
  };

  function bearer(scope: Scope, req: Request, res: Response, next: NextFunction): void {
    const handler = passport.authenticate(
      'bearer',
      { session: false },
      (err: unknown, principal: Principal | false | undefined) => {
        if (err) return next(err);
        if (!principal) {
          // A failed attempt counts against the client address (guessing tokens is slowed to a stop).
          const refused = unauthorized('a valid bearer token is required');
          if (!limits) return next(refused);
          return void limits.recordAuthFailure(req).then(() => next(refused), next);
        }
        if (!principal.scopes.includes(scope)) {
          return next(new ScimError(403, `this token lacks the "${scope}" scope`));
        }
        req.user = principal;
        // Lines logged while handling the request name the organization and the token (its id, never the secret).
        if (req.log) req.log = req.log.child({ orgId: principal.orgId, tokenId: principal.tokenId });
        if (!limits) return next();
        limits.checkToken(principal.tokenId).then((limited) => next(limited), next);
      },
    ) as RequestHandler;
    if (!limits) {
      handler(req, res, next);
      return;
    }
    // While the address has used up its failed attempts, no token is even looked at.
    limits.checkAuthFailures(req).then((limited) => (limited ? next(limited) : handler(req, res, next)), next);
  }
}
