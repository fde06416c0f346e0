// Tells the member concerned and the account's administrators about a team change that has
// COMMITTED: callers run these after their transaction (so a refused or rolled-back change mails
// nobody). Addresses and role names are read then; a member who is also an administrator gets only
// the member's email. A failure here is logged, never thrown: the change itself is done.
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { formatTime } from '../web/format.ts';
import { administratorEmails } from './administrators.ts';
import { predefinedRole } from './roles.ts';
import { teamChangeEmail, type TeamChange } from './team-mail.ts';

export type TeamNoticeDeps = {
  db: Kysely<DashboardDatabase>;
  /** mail/ `Mailer.sendLater`. */
  sendLater: (message: MailMessage) => void;
  origin: string;
  log: { error(details: object, message: string): void };
  now?: () => Date;
};

type Concerning = { accountId: string; userId: string };

export function createTeamNotices(deps: TeamNoticeDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  const emailOf = async (userId: string) => (await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email;
  const someone = async (userId: string) => (await emailOf(userId)) ?? 'a former member';

  async function roleNames(accountId: string, roles: readonly string[]): Promise<string> {
    const custom = roles.filter((r) => !predefinedRole(r));
    const rows = custom.length === 0 ? [] : await db.selectFrom('team_roles').select(['id', 'name']).where('account_id', '=', accountId).where('id', 'in', custom).execute();
    const names = new Map(rows.map((r) => [r.id, r.name]));
    return roles.length === 0 ? 'none' : roles.map((r) => predefinedRole(r)?.name ?? names.get(r) ?? r).join(', ');
  }

  async function tell(accountId: string, userId: string, describe: () => Promise<TeamChange | null>): Promise<void> {
    try {
      const member = await emailOf(userId);
      const change = member === undefined ? null : await describe();
      if (member === undefined || change === null) return;
      const facts = { member, accountId, when: formatTime(now()), origin: deps.origin };
      deps.sendLater(teamChangeEmail(member, change, { ...facts, audience: 'member' }));
      for (const to of await administratorEmails(db, accountId)) {
        if (to !== member) deps.sendLater(teamChangeEmail(to, change, { ...facts, audience: 'administrator' }));
      }
    } catch (error) {
      deps.log.error({ err: error, accountId }, 'team change notice could not be prepared');
    }
  }

  return {
    /** After an invitation's acceptance commits (either way in: signed in, or as a new user): roles and inviter as stored. */
    memberJoined: (c: Concerning) => tell(c.accountId, c.userId, async () => {
      const membership = await db.selectFrom('memberships').select('roles').where('account_id', '=', c.accountId).where('user_id', '=', c.userId).executeTakeFirst();
      if (!membership) return null;
      const invitation = await db.selectFrom('invitations').select('invited_by').where('account_id', '=', c.accountId).where('accepted_by', '=', c.userId)
        .orderBy('accepted_at', 'desc').limit(1).executeTakeFirst();
      return { kind: 'joined', invitedBy: invitation ? await someone(invitation.invited_by) : 'unknown', roles: await roleNames(c.accountId, membership.roles) };
    }),

    rolesChanged: (c: Concerning & { actorId: string; before: readonly string[]; after: readonly string[] }) => tell(c.accountId, c.userId, async () => ({
      kind: 'roles_changed', by: await someone(c.actorId), before: await roleNames(c.accountId, c.before), after: await roleNames(c.accountId, c.after),
    })),

    memberRemoved: (c: Concerning & { actorId: string; roles: readonly string[] }) => tell(c.accountId, c.userId, async () => ({
      kind: 'removed', by: await someone(c.actorId), roles: await roleNames(c.accountId, c.roles),
    })),
  };
}
export type TeamNotices = ReturnType<typeof createTeamNotices>;
