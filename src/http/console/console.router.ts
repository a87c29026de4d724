import { join } from 'node:path';
import express, { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ConsoleSetup } from '../../domain/console/console-setup.js';
import { setupInput } from '../../domain/console/console-setup.js';
import type { Actor, RequestContext } from '../../domain/context.js';
import { newPassword, type IssuedSession, type SessionService } from '../../domain/sessions/session.service.js';
import { ScimError, badRequest } from '../../scim/errors.js';
import { externalBaseUrl, sendJson } from '../respond.js';
import {
  clearedCookie,
  ConsoleSessions,
  csrfTokenFor,
  grantsManageUsers,
  notAdministrator,
  sessionCookie,
} from './console-session.js';
import type { OrganizationRecord } from '../../store/organization.repository.js';

export interface ConsoleDeps {
  consoleSessions: ConsoleSessions;
  sessions: SessionService;
  setup: ConsoleSetup;
  baseUrl: string;
  publicUrl: string;
  projectRoot: string;
}

const SIGNIN_ACTOR: Actor = { type: 'system', id: 'console', name: 'console sign-in' };

/** An organization id; needed only when Roster serves several organizations. */
const organization = z.string().trim().min(1).max(100).optional();
const email = z.string().trim().min(1, 'required').max(256);
const password = z.string().min(1, 'required').max(1024);

const signinBody = z.object({ email, password, organization }).strict();
const passwordChangeBody = z.object({ email, currentPassword: password, newPassword, organization }).strict();

/**
 * The console's pages are static files (README "Console"): the HTML, CSS and ES modules are served
 * as they are in console/, with a policy that allows only this origin's scripts and styles.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

const staticOptions = {
  index: 'index.html',
  // Small files, revalidated on every load, so a new version is never hidden behind a cache.
  setHeaders: (res: Response) => res.setHeader('Cache-Control', 'no-cache'),
};

/**
 * The console at /admin: its static files and its own small JSON API under /admin/api (sign-in,
 * session, password change, sign-out, first-run setup). Everything else the console shows and does
 * goes through the side API /api/v1, which accepts the console's session cookie (auth.ts).
 *
 * An express sub-app: the console is a user interface, not part of the OpenAPI document.
 */
export function consoleApp(deps: ConsoleDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use('/api', consoleApi(deps));
  app.use(pageHeaders, express.static(join(deps.projectRoot, 'console'), staticOptions));
  return app;
}

/**
 * Pages served at the root: `/` leads to the console; the invitation accept and password reset
 * pages the links in messages point at, unless ROSTER_PUBLIC_URL sends those links elsewhere.
 */
export function publicPagesApp(deps: Pick<ConsoleDeps, 'baseUrl' | 'publicUrl' | 'projectRoot'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/', (_req, res) => res.redirect(302, '/admin/'));
  const servesLinks = !deps.publicUrl || deps.publicUrl === deps.baseUrl;
  if (servesLinks) {
    const page = (file: string) => (_req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-store');
      res.sendFile(join(deps.projectRoot, 'console', file));
    };
    app.get('/accept-invitation', pageHeaders, page('accept-invitation.html'));
    app.get('/reset-password', pageHeaders, page('reset-password.html'));
  }
  return app;
}

function consoleApi(deps: ConsoleDeps): Router {
  const router = Router();
  const scimBase = (req: Request) => `${externalBaseUrl(req, deps.baseUrl)}/scim/v2`;
  const ctxFor = (req: Request, orgId: string): RequestContext => ({
    orgId,
    actor: SIGNIN_ACTOR,
    requestId: String(req.id ?? ''),
    scimBaseUrl: scimBase(req),
  });
  const noStore = (res: Response) => res.setHeader('Cache-Control', 'no-store');

  /** The organization a sign-in is for: the given id, or the only one there is. */
  async function organizationFor(id: string | undefined): Promise<OrganizationRecord> {
    if (id) {
      const org = await deps.consoleSessions.orgs.findById(id);
      if (!org) throw badRequest('invalidValue', 'organization: no organization has this id');
      return org;
    }
    if ((await deps.consoleSessions.orgs.count()) === 1) return (await deps.consoleSessions.orgs.list(0, 1))[0]!;
    throw badRequest('invalidValue', 'organization: this Roster serves several organizations; open the console link of yours (/admin/?org=<id>)');
  }

  /** A new session becomes the console's cookie, if its user may use the console. */
  async function openConsole(req: Request, res: Response, org: OrganizationRecord, issued: IssuedSession, status: number): Promise<void> {
    if (!grantsManageUsers(org, issued.user.roles)) {
      await deps.sessions.signOut(ctxFor(req, org._id), issued.token);
      throw notAdministrator();
    }
    const maxAgeSeconds = (new Date(issued.expiresAt).getTime() - Date.now()) / 1000;
    res.setHeader('Set-Cookie', sessionCookie(issued.token, { secure: req.secure, maxAgeSeconds }));
    noStore(res);
    sendJson(res, status, {
      user: issued.user,
      organization: { id: org._id, name: org.name },
      expiresAt: issued.expiresAt,
      csrfToken: csrfTokenFor(issued.token),
    });
  }

  router.get('/sign-in-options', async (_req, res) => {
    noStore(res);
    sendJson(res, 200, { organizationRequired: (await deps.consoleSessions.orgs.count()) !== 1 });
  });

  router.get('/session', async (req, res) => {
    const token = deps.consoleSessions.tokenOf(req);
    if (!token) throw new ScimError(401, 'you are not signed in to the console', undefined, {}, { reason: 'session_invalid' });
    const id = await deps.consoleSessions.identify(req, token, scimBase(req));
    noStore(res);
    sendJson(res, 200, {
      user: id.check.user,
      organization: id.organization,
      expiresAt: id.check.session.expiresAt,
      csrfToken: csrfTokenFor(token),
      scimBaseUrl: scimBase(req),
    });
  });

  router.post('/session', async (req, res) => {
    const input = signinBody.parse(req.body ?? {});
    const org = await organizationFor(input.organization);
    const issued = await deps.sessions.signIn(ctxFor(req, org._id), { email: input.email, password: input.password });
    await openConsole(req, res, org, issued, 201);
  });

  router.post('/session/password-change', async (req, res) => {
    const input = passwordChangeBody.parse(req.body ?? {});
    const org = await organizationFor(input.organization);
    const issued = await deps.sessions.changePassword(ctxFor(req, org._id), {
      email: input.email,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
    });
    await openConsole(req, res, org, issued, 201);
  });

  // Signing out needs the CSRF token (another site must not sign the administrator out); it ends
  // the session for good and clears the cookie.
  router.post('/sign-out', async (req, res) => {
    const token = deps.consoleSessions.tokenOf(req);
    if (token) {
      const id = await deps.consoleSessions.identify(req, token, scimBase(req)).catch((err: unknown) => {
        // A session that ended already signs out as a no-op; a missing CSRF token does not.
        if (err instanceof ScimError && err.status === 401) return undefined;
        throw err;
      });
      if (id) await deps.sessions.signOut({ ...ctxFor(req, id.principal.orgId!), actor: id.principal.actor! }, token);
    }
    res.setHeader('Set-Cookie', clearedCookie(req.secure));
    res.status(204).end();
  });

  router.post('/setup', async (req, res) => {
    const input = setupInput.parse(req.body ?? {});
    const { orgId } = await deps.setup.complete(input, String(req.id ?? ''), scimBase(req));
    const org = await organizationFor(orgId);
    const issued = await deps.sessions.signIn(ctxFor(req, orgId), { email: input.email, password: input.password });
    await openConsole(req, res, org, issued, 201);
  });

  router.use((req, _res, next) => next(new ScimError(404, `no console route at ${req.method} /admin/api${req.path}`)));
  return router;
}
