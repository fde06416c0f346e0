// Plugs the team module into the dashboard's page scope (after sessions, CSRF, views and error pages):
// the access-denial audit that `requirePermission` needs, then the team, roles and invitation pages.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import { registerAccessControl } from './access-control.ts';
import { invitationAcceptRoutes } from './invitation-accept.routes.ts';
import { roleRoutes } from './roles.routes.ts';
import type { StepUp } from './team-pages.ts';
import { teamRoutes } from './team.routes.ts';
import type { Team } from './team.ts';

export async function registerTeamPages(scope: FastifyInstance, deps: { team: Team; audit: Pick<Audit, 'recordStandalone'>; stepUp: StepUp }): Promise<void> {
  registerAccessControl(scope, { audit: deps.audit });
  await scope.register(teamRoutes, { team: deps.team, stepUp: deps.stepUp });
  await scope.register(roleRoutes, { team: deps.team, stepUp: deps.stepUp });
  await scope.register(invitationAcceptRoutes, { team: deps.team });
}
