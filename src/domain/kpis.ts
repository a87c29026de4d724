import type { InvitationRepository } from '../store/invitation.repository.js';
import type { RequestContext } from './context.js';
import type { UserService } from './users/user.service.js';

/** The onboarding KPIs (seed 001). */
export interface OnboardingKpis {
  invited: number;
  completed: number;
  pending: number;
  completionRate: number;
}

/**
 * Three counts on indexed fields, never a read of users: every invitation ever sent (cancelled
 * ones too), the accepted ones, and the users still invited.
 */
export async function onboardingKpis(ctx: RequestContext, invitations: InvitationRepository, users: UserService): Promise<OnboardingKpis> {
  const [invited, completed, pending] = await Promise.all([
    invitations.count(ctx.orgId),
    invitations.count(ctx.orgId, 'accepted'),
    users.count(ctx, { status: 'invited' }),
  ]);
  // A fraction with four decimals (0.6667); the platform formats it as a percentage.
  const completionRate = invited === 0 ? 0 : Math.round((completed / invited) * 10_000) / 10_000;
  return { invited, completed, pending, completionRate };
}
