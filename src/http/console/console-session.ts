import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import type { Principal } from '../../domain/tokens.js';
import type { RoleValue } from '../../domain/groups/roles.js';
import { findRole } from '../../domain/groups/roles.js';
import { MANAGE_USERS } from '../../domain/organization-settings.js';
import type { SessionCheck, SessionService } from '../../domain/sessions/session.service.js';
import { SYSTEM_ACTOR } from '../../domain/users/user.service.js';
import type { OrganizationRecord, OrganizationRepository } from '../../store/organization.repository.js';
import { sameHash } from '../../domain/secrets.js';
import { ScimError } from '../../scim/errors.js';
import { refuse } from '../../domain/sessions/signin-refusal.js';

/** The console's session cookie: the sign-in session token itself (README "Console"). */
export const CONSOLE_COOKIE = 'roster_console';
/** Every state-changing console request carries the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-csrf-token';

/** Cookie header → name/value pairs (RFC 6265 5.4); a malformed pair is skipped, the first of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/**
 * The session's CSRF token: an HMAC keyed by the session token. A page of another site can neither
 * read the HttpOnly cookie nor this token, so it cannot forge a request that carries both; nothing
 * extra is stored, and it dies with the session.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('roster console csrf').digest('base64url');
}

/** Constant-time check of the CSRF token a request carries. */
export function csrfMatches(given: string | undefined, sessionToken: string): boolean {
  return typeof given === 'string' && given.length > 0 && sameHash(given, csrfTokenFor(sessionToken));
}

export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Set-Cookie for a console session: HttpOnly, SameSite=Strict, Secure on https, for the session's lifetime. */
export function sessionCookie(token: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${CONSOLE_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedCookie(secure: boolean): string {
  return [`${CONSOLE_COOKIE}=`, 'Path=/', 'Max-Age=0', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

/** Whether one of these effective roles grants manage_users in the organization. */
export function grantsManageUsers(org: Pick<OrganizationRecord, 'roles'>, roles: RoleValue[]): boolean {
  return roles.some((r) => findRole(org, String(r.value))?.permissions.includes(MANAGE_USERS) ?? false);
}

/** The organization id a session token names, read from its `rss.<id>.<secret>` shape. */
function sessionIdOf(token: string): string | undefined {
  const [prefix, id, secret, ...rest] = token.split('.');
  if (prefix !== 'rss' || !id || !secret || rest.length > 0 || !/^[0-9a-f]{24}$/.test(id)) return undefined;
  return id;
}

export interface ConsoleIdentity {
  token: string;
  check: SessionCheck;
  organization: { id: string; name: string };
  principal: Principal;
}

export const notAdministrator = (): ScimError =>
  new ScimError(403, `your roles do not grant ${MANAGE_USERS}: the console is for administrators`, undefined, {}, { reason: 'not_administrator' });

/**
 * Console sessions: sign-in sessions (SessionService) carried in an HttpOnly cookie, usable on
 * the side API by a person whose effective roles grant manage_users. Each use checks the session
 * as it is now (signed out, suspended, deleted, re-passworded, role taken away), so access ends at
 * once.
 */
export class ConsoleSessions {
  /** `orgs`: the process's one OrganizationRepository (container.ts), read-only here. */
  constructor(
    readonly orgs: OrganizationRepository,
    private readonly sessions: SessionService,
  ) {}

  tokenOf(req: Request): string | undefined {
    return parseCookies(req.headers.cookie).get(CONSOLE_COOKIE) || undefined;
  }

  /** The organization a session token belongs to, if it names a stored session. */
  async orgIdOf(token: string): Promise<string | undefined> {
    const id = sessionIdOf(token);
    if (!id) return undefined;
    return (await this.sessions.repo.findById(id))?.orgId;
  }

  /**
   * The signed-in administrator of this request: 401 (session_invalid, _expired, _ended) without a
   * live session, 403 not_administrator without manage_users, 403 csrf when a state-changing
   * request lacks the session's CSRF token.
   */
  async identify(req: Request, token: string, scimBaseUrl: string): Promise<ConsoleIdentity> {
    const orgId = await this.orgIdOf(token);
    if (!orgId) throw refuse('session_invalid', 'you are not signed in to the console (or the session is unknown)');
    const check = await this.sessions.verify({ orgId, actor: SYSTEM_ACTOR, requestId: String(req.id ?? ''), scimBaseUrl }, token);
    const org = await this.orgs.findById(orgId);
    if (!org || !grantsManageUsers(org, check.user.roles)) throw notAdministrator();
    if (!isSafeMethod(req.method) && !csrfMatches(req.get(CSRF_HEADER), token)) {
      throw new ScimError(403, `${CSRF_HEADER}: missing or wrong; reload the console`, undefined, {}, { reason: 'csrf' });
    }
    return {
      token,
      check,
      organization: { id: org._id, name: org.name },
      principal: {
        tokenId: `session:${check.session.id}`,
        tokenName: check.user.userName,
        orgId,
        scopes: ['admin'],
        actor: { type: 'user', id: check.user.id, name: check.user.userName },
      },
    };
  }
}
