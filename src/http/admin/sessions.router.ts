import { Router, type Request, type Response } from 'express';
import {
  passwordChangeInput,
  sessionTokenInput,
  signinInput,
  type SessionService,
} from '../../domain/sessions/session.service.js';
import { resetCompleteInput, resetRequestInput, type PasswordResetService } from '../../domain/password-reset/password-reset.service.js';
import { externalBaseUrl, requestContext, sendJson } from '../respond.js';

export interface SessionsRouterDeps {
  sessions: SessionService;
  passwordResets: PasswordResetService;
  baseUrl: string;
  /** Base of the reset link in messages (ROSTER_PUBLIC_URL); empty: the external base URL. */
  publicUrl: string;
}

/** Session tokens and new passwords must not sit in a cache on the way. */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

/**
 * Scope `signin`, mounted at /api/v1/sessions: the platform's login page signs users in, checks,
 * ends and re-passwords their sessions, and asks for reset links (docs/behaviour.md "Sign-in, sessions and password reset").
 */
export function signinRouter(deps: SessionsRouterDeps): Router {
  const router = Router();
  const linkBase = (req: Request) => deps.publicUrl || externalBaseUrl(req, deps.baseUrl);

  router.post('/', async (req, res) => {
    const issued = await deps.sessions.signIn(requestContext(req, deps.baseUrl), signinInput.parse(req.body ?? {}));
    noStore(res);
    sendJson(res, 201, issued);
  });

  router.post('/verify', async (req, res) => {
    const { token } = sessionTokenInput.parse(req.body ?? {});
    noStore(res);
    sendJson(res, 200, await deps.sessions.verify(requestContext(req, deps.baseUrl), token));
  });

  router.post('/password-change', async (req, res) => {
    const issued = await deps.sessions.changePassword(requestContext(req, deps.baseUrl), passwordChangeInput.parse(req.body ?? {}));
    noStore(res);
    sendJson(res, 201, issued);
  });

  router.post('/sign-out', async (req, res) => {
    const { token } = sessionTokenInput.parse(req.body ?? {});
    await deps.sessions.signOut(requestContext(req, deps.baseUrl), token);
    res.status(204).end();
  });

  // 202 whatever the address: the answer must not tell which addresses are accounts.
  router.post('/password-reset', async (req, res) => {
    const { email } = resetRequestInput.parse(req.body ?? {});
    deps.passwordResets.requestBySelfInBackground(requestContext(req, deps.baseUrl), email, linkBase(req), (err) =>
      req.log.error({ err }, 'a self-service password reset request failed'),
    );
    res.status(202).end();
  });

  return router;
}

/** `:id` of the mount path (/users/:id/...), merged into the router's params. */
function userIdOf(req: Request): string {
  return (req.params as { id: string }).id;
}

/**
 * Scope `admin`, mounted at /api/v1/users/:id/sessions: the user's live sessions, listed and
 * terminated one by one or all at once (docs/behaviour.md "Sign-in, sessions and password reset").
 * Mounted on its own path, not on /users, so the other /users routes do not authenticate twice.
 */
export function userSessionsRouter(deps: Pick<SessionsRouterDeps, 'sessions' | 'baseUrl'>): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    sendJson(res, 200, { items: await deps.sessions.list(requestContext(req, deps.baseUrl), userIdOf(req)) });
  });

  router.delete('/', async (req, res) => {
    sendJson(res, 200, { ended: await deps.sessions.terminateAll(requestContext(req, deps.baseUrl), userIdOf(req)) });
  });

  router.delete('/:sessionId', async (req, res) => {
    await deps.sessions.terminate(requestContext(req, deps.baseUrl), userIdOf(req), req.params.sessionId);
    res.status(204).end();
  });

  return router;
}

/** Scope `admin`, mounted at /api/v1/users/:id/password-reset: emails the user a reset link. */
export function userPasswordResetRouter(deps: Pick<SessionsRouterDeps, 'passwordResets' | 'baseUrl' | 'publicUrl'>): Router {
  const router = Router({ mergeParams: true });
  router.post('/', async (req, res) => {
    const linkBase = deps.publicUrl || externalBaseUrl(req, deps.baseUrl);
    sendJson(res, 202, await deps.passwordResets.request(requestContext(req, deps.baseUrl), userIdOf(req), linkBase));
  });
  return router;
}

/** Public (no token), mounted at /api/v1/password-resets: the link's secret is the credential. */
export function passwordResetCompleteRouter(deps: Pick<SessionsRouterDeps, 'passwordResets' | 'baseUrl'>): Router {
  const router = Router();
  router.post('/complete', async (req, res) => {
    const input = resetCompleteInput.parse(req.body ?? {});
    const scimBaseUrl = `${externalBaseUrl(req, deps.baseUrl)}/scim/v2`;
    noStore(res);
    sendJson(res, 200, await deps.passwordResets.complete(input.token, input.password, String(req.id ?? ''), scimBaseUrl));
  });
  return router;
}
