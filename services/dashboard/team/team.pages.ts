// Plugs the team module into the dashboard's page scope (after sessions, CSRF, views and error pages):
// the access-denial audit that `requirePermission` needs, then the team, roles and invitation pages.
// With `newUser` (server.ts), a visitor with no user yet can join from an invitation by choosing a password.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import type { ThrottleStore } from '../auth/throttle.store.ts';
import type { DashboardDatabase } from '../db.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import type { UserStore } from '../users/users.store.ts';
import { registerAccessControl } from './access-control.ts';
import { invitationAcceptRoutes } from './invitation-accept.routes.ts';
import { createInvitationNewUserService } from './invitation-new-user.service.ts';
import { invitationNewUserRoutes, NEW_USER_PATH } from './invitation-new-user.routes.ts';
import { invitationView, type NewUserForm } from './invitation-view.ts';
import { roleRoutes } from './roles.routes.ts';
import type { StepUp } from './team-pages.ts';
import { teamRoutes } from './team.routes.ts';
import type { Team } from './team.ts';

export type NewUserDeps = {
  db: Kysely<DashboardDatabase>; audit: Pick<Audit, 'record' | 'recordStandalone'>; users: UserStore; throttle: ThrottleStore;
  profile: PolicyProfile; completion: SignInCompletion;
};

export async function registerTeamPages(scope: FastifyInstance, deps: {
  team: Team; audit: Pick<Audit, 'recordStandalone'>; stepUp: StepUp; newUser?: NewUserDeps;
}): Promise<void> {
  registerAccessControl(scope, { audit: deps.audit });
  await scope.register(teamRoutes, { team: deps.team, stepUp: deps.stepUp });
  await scope.register(roleRoutes, { team: deps.team, stepUp: deps.stepUp });
  const newUser = deps.newUser;
  const form: NewUserForm | undefined = newUser && {
    action: NEW_USER_PATH, minLength: newUser.profile.password.minLength, maxLength: newUser.profile.password.maxLength,
    lettersAndDigits: newUser.profile.password.lettersAndDigits,
  };
  await scope.register(invitationAcceptRoutes, { team: deps.team, newUser: form });
  if (newUser) {
    await scope.register(invitationNewUserRoutes, {
      newUsers: createInvitationNewUserService({ ...newUser, team: deps.team }), completion: newUser.completion, profile: newUser.profile,
      show: invitationView({ team: deps.team, newUser: form }),
    });
  }
}
