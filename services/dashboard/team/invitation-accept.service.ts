// Accepting an invitation: the one way into an account. The user must be signed in (or have just
// been created by sign-up) and own the invited address, verified; the invitation must be open; the
// member who invited must still hold every permission the invitation grants (a demoted or removed
// inviter's invitations stop granting). Single use: the row is locked and marked accepted.
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely, Transaction } from '#lib/db/index.ts';
import { httpError, isHttpError } from '#lib/http/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { InvitationRow, InvitationStore } from './invitations.store.ts';
import { hashToken, isWellFormedToken } from '../sessions/tokens.ts';
import { invitationState } from './invitations.service.ts';
import { isPredefinedRole, missingFrom, rolePermissions } from './roles.ts';
import { grantsOf } from './team-rules.ts';
import type { TeamNotices } from './team-notices.ts';
import type { TeamStore } from './team.store.ts';
import { TEAM_AUDIT, teamAuditRecord, type RequestOrigin, type TeamActor } from './team.audit.ts';

const NOT_VALID = 'this invitation is not valid: it may have expired, been revoked or already been used; ask for a new one';

export type AcceptingUser = { userId: string; sessionId?: string; origin: RequestOrigin };

export function createInvitationAcceptService(deps: {
  db: Kysely<DashboardDatabase>; team: TeamStore; invitations: InvitationStore; audit: Pick<Audit, 'record' | 'recordStandalone'>;
  /** The "new member" emails, after the acceptance commits. */
  notices: Pick<TeamNotices, 'memberJoined'>; now?: () => Date;
}) {
  const { db, team, invitations, audit } = deps;
  const now = deps.now ?? (() => new Date());

  async function acceptLocked(tx: Transaction<DashboardDatabase>, user: AcceptingUser, row: InvitationRow): Promise<{ accountId: string; roles: string[] }> {
    const actor: TeamActor = { userId: user.userId, accountId: row.account_id, sessionId: user.sessionId, origin: user.origin };
    const at = now();
    if (invitationState(row, at) !== 'open') throw httpError(404, 'not_found', NOT_VALID);
    const account = await tx.selectFrom('users').select(['email', 'email_verified']).where('id', '=', user.userId).executeTakeFirst();
    if (!account) throw httpError(404, 'not_found', NOT_VALID);
    if (account.email.toLowerCase() !== row.email) throw httpError(403, 'forbidden', 'this invitation was sent to another email address; sign in with that address');
    if (!account.email_verified) throw httpError(403, 'forbidden', 'verify your email address first, then accept the invitation');
    const locked = await team.lockTeam(tx, row.account_id);
    if (locked.some((m) => m.user_id === user.userId)) throw httpError(409, 'conflict', 'you are already a member of this account');
    const custom = await team.customRoles(row.account_id, tx);
    const grants = grantsOf(custom);
    if (row.roles.some((r) => !isPredefinedRole(r) && !custom.some((c) => c.id === r))) throw httpError(409, 'conflict', NOT_VALID);
    const inviter = locked.find((m) => m.user_id === row.invited_by);
    const missing = inviter ? missingFrom(rolePermissions(inviter.roles, grants), rolePermissions(row.roles, grants)) : ['inviter'];
    if (missing.length > 0) throw httpError(409, 'conflict', NOT_VALID);
    await team.insertMember(tx, { user_id: user.userId, account_id: row.account_id, roles: row.roles });
    await invitations.markAccepted(tx, row.id, user.userId, at);
    await audit.record(tx, teamAuditRecord(actor, TEAM_AUDIT.invitationAccepted,
      [{ type: 'invitation', id: row.id }, { type: 'member', id: user.userId }], { roles: row.roles, invited_by: row.invited_by }));
    return { accountId: row.account_id, roles: row.roles };
  }

  return {
    /**
     * Inside the caller's transaction (sign-up from an invitation creates the user and accepts in
     * one transaction). Refusals are thrown; the caller's rollback undoes everything. Once the
     * caller has committed, it calls `notices.memberJoined` (team.ts `notices`).
     */
    async acceptWithin(tx: Transaction<DashboardDatabase>, user: AcceptingUser, token: string) {
      if (!isWellFormedToken(token)) throw httpError(404, 'not_found', NOT_VALID);
      const row = await invitations.lockByTokenHash(tx, hashToken(token));
      if (!row) throw httpError(404, 'not_found', NOT_VALID);
      return acceptLocked(tx, user, row);
    },

    /** In its own transaction; a refused attempt at a real invitation is audited as a failure. */
    async accept(user: AcceptingUser, token: string): Promise<{ accountId: string; roles: string[] }> {
      if (!isWellFormedToken(token)) throw httpError(404, 'not_found', NOT_VALID);
      let found: InvitationRow | undefined;
      try {
        const joined = await db.transaction().execute(async (tx) => {
          found = await invitations.lockByTokenHash(tx, hashToken(token));
          if (!found) throw httpError(404, 'not_found', NOT_VALID);
          return acceptLocked(tx, user, found);
        });
        await deps.notices.memberJoined({ accountId: joined.accountId, userId: user.userId });
        return joined;
      } catch (error) {
        if (found && isHttpError(error)) {
          const actor: TeamActor = { userId: user.userId, accountId: found.account_id, sessionId: user.sessionId, origin: user.origin };
          await audit.recordStandalone(teamAuditRecord(actor, TEAM_AUDIT.invitationAccepted, [{ type: 'invitation', id: found.id }], {},
            { result: 'failure', reason: error.message.slice(0, 500) }));
        }
        throw error;
      }
    },
  };
}
export type InvitationAcceptService = ReturnType<typeof createInvitationAcceptService>;
