// Wires the team module (stores → rules → services) from its dependencies; server.ts calls this once.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { createAccessStore } from './access.store.ts';
import { createCustomRoleService } from './custom-roles.service.ts';
import { createInvitationAcceptService } from './invitation-accept.service.ts';
import { createInvitationService, type SendMail } from './invitations.service.ts';
import { createInvitationStore } from './invitations.store.ts';
import { createMemberService } from './members.service.ts';
import { createTeamRules } from './team-rules.ts';
import { createTeamStore } from './team.store.ts';

export type TeamDeps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  sendMail: SendMail;
  publicUrl: string;
  log: { error(details: object, message: string): void };
  now?: () => Date;
};

export function createTeam(deps: TeamDeps) {
  const { db, audit } = deps;
  const team = createTeamStore(db);
  const invitationStore = createInvitationStore(db);
  const rules = createTeamRules({ db, audit, team });
  return {
    /** The per-request read for sessions/ (`memberAccess(userId, accountId)`), and `permissionsFor`. */
    access: createAccessStore(db),
    members: createMemberService({ team, rules }),
    roles: createCustomRoleService({ team, rules }),
    invitations: createInvitationService({ team, invitations: invitationStore, rules, sendMail: deps.sendMail, publicUrl: deps.publicUrl, log: deps.log, now: deps.now }),
    acceptance: createInvitationAcceptService({ db, team, invitations: invitationStore, audit, now: deps.now }),
  };
}
export type Team = ReturnType<typeof createTeam>;
