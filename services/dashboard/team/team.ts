// Wires the team module (stores → rules → services) from its dependencies; server.ts calls this once.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { createAccessStore } from './access.store.ts';
import { createCustomRoleService } from './custom-roles.service.ts';
import { createInvitationAcceptService } from './invitation-accept.service.ts';
import { createInvitationService, type SendMail } from './invitations.service.ts';
import { createInvitationStore } from './invitations.store.ts';
import { createMemberService } from './members.service.ts';
import { createTeamNotices } from './team-notices.ts';
import { createTeamRules } from './team-rules.ts';
import { createTeamStore } from './team.store.ts';

export type TeamDeps = {
  db: Kysely<DashboardDatabase>;
  audit: Pick<Audit, 'record' | 'recordStandalone'>;
  sendMail: SendMail;
  /** mail/ `Mailer.sendLater`: the team-change notices, after each change commits. */
  sendLater: (message: MailMessage) => void;
  publicUrl: string;
  log: { error(details: object, message: string): void };
  now?: () => Date;
};

export function createTeam(deps: TeamDeps) {
  const { db, audit } = deps;
  const team = createTeamStore(db);
  const invitationStore = createInvitationStore(db);
  const rules = createTeamRules({ db, audit, team });
  const notices = createTeamNotices({ db, sendLater: deps.sendLater, origin: deps.publicUrl, log: deps.log, now: deps.now });
  return {
    /** The per-request read for sessions/ (`memberAccess(userId, accountId)`), and `permissionsFor`. */
    access: createAccessStore(db),
    members: createMemberService({ team, rules, notices }),
    roles: createCustomRoleService({ team, rules }),
    invitations: createInvitationService({ team, invitations: invitationStore, rules, sendMail: deps.sendMail, publicUrl: deps.publicUrl, log: deps.log, now: deps.now }),
    acceptance: createInvitationAcceptService({ db, team, invitations: invitationStore, audit, notices, now: deps.now }),
    /** Emails about committed team changes; a caller of `acceptance.acceptWithin` calls `memberJoined` after its commit. */
    notices,
  };
}
export type Team = ReturnType<typeof createTeam>;
