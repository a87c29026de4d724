import type { InvitationService } from './invitations/invitation.service.js';
import { fieldEquals } from '../scim/filter.js';
import type { RequestContext } from './context.js';
import type { UserService } from './users/user.service.js';

/** The onboarding KPIs (docs/behaviour.md "Side API"). */
export interface OnboardingKpis {
  invited: number;
  completed: number;
  pending: number;
  completionRate: number;
}

/**
 * Computed by the database: one aggregation groups the organization's invitations by state (every
 * invitation ever sent, cancelled ones too, is "invited"; accepted ones are "completed"), and one
 * count on the (orgId, status) index gives the users still invited ("pending": an invitation whose
 * user was suspended or deleted is no longer in progress).
 */
export async function onboardingKpis(ctx: RequestContext, invitations: Pick<InvitationService, 'countByState'>, users: UserService): Promise<OnboardingKpis> {
  const [byState, pending] = await Promise.all([invitations.countByState(ctx), users.count(ctx, fieldEquals('status', 'invited'))]);
  const invited = byState.pending + byState.accepted + byState.cancelled;
  const completed = byState.accepted;
  // A fraction with four decimals (0.6667); the platform formats it as a percentage.
  const completionRate = invited === 0 ? 0 : Math.round((completed / invited) * 10_000) / 10_000;
  return { invited, completed, pending, completionRate };
}
