import { ScimError } from '../../scim/errors.js';

/**
 * Why a sign-in, a password change or a session check was refused: the machine-readable `reason`
 * member of the problem details (RFC 9457 3.2), so the platform's login page can choose what to
 * show without parsing `detail`.
 */
export const SIGNIN_REASONS = {
  /** Unknown email or wrong password: one answer for both, so addresses cannot be enumerated. */
  invalid_credentials: 401,
  /** The account has not been set up yet: the user must accept the invitation (no password exists). */
  invited: 403,
  /** Told only after the password was verified. */
  suspended: 403,
  /** Told only after the password was verified. */
  deleted: 403,
  /** A temporary password was verified: POST /api/v1/sessions/password-change sets the user's own. */
  password_change_required: 403,
  /** Too many failed sign-ins for this account; Retry-After says when to try again. */
  too_many_attempts: 429,
  /** Session checks: the token is not a session of this organization. */
  session_invalid: 401,
  session_expired: 401,
  /** Signed out, terminated by an admin, or the user's access ended (suspended, deleted, new password). */
  session_ended: 401,
} as const;

export type SigninReason = keyof typeof SIGNIN_REASONS;

export function refuse(reason: SigninReason, detail: string, headers: Record<string, string> = {}): ScimError {
  return new ScimError(SIGNIN_REASONS[reason], detail, undefined, headers, { reason });
}
