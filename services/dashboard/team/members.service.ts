// Members of an account: list, change roles, remove. Sessions read roles per request
// (access.store.ts), so a change here applies to the member's live sessions at their next request.
// Once a change commits, the member and the administrators are emailed (team-notices.ts).
import { httpError } from '#lib/http/index.ts';
import { OWNER_ROLE } from './roles.ts';
import type { TeamNotices } from './team-notices.ts';
import type { TeamStore } from './team.store.ts';
import type { TeamRules, TeamContext } from './team-rules.ts';
import { refusal } from './team-rules.ts';
import { TEAM_AUDIT, teamAuditRecord, type TeamActor } from './team.audit.ts';

export type MemberView = { userId: string; email: string; roles: string[]; joinedAt: string };

function lastOwnerGuard(ctx: TeamContext, userId: string, keepsOwner: boolean): void {
  const owners = ctx.owners();
  if (!keepsOwner && owners.includes(userId) && owners.length === 1) {
    throw httpError(409, 'conflict', 'this member is the last Owner of the account; make another member Owner first');
  }
}

/** The target of a change: a member of this account, not the actor. */
function target(ctx: TeamContext, actor: TeamActor, userId: string): readonly string[] {
  const roles = ctx.members.get(userId);
  if (!roles) throw httpError(404, 'not_found', 'no such member in this account');
  if (userId === actor.userId) throw refusal('nobody can change their own roles or remove themselves; ask another administrator');
  return roles;
}

export function createMemberService(deps: { team: TeamStore; rules: TeamRules; notices: TeamNotices }) {
  const { team, rules, notices } = deps;
  return {
    async list(accountId: string): Promise<MemberView[]> {
      const rows = await team.listMembers(accountId);
      return rows.map((r) => ({ userId: r.user_id, email: r.email, roles: r.roles, joinedAt: r.created_at.toISOString() }));
    },

    async changeRoles(actor: TeamActor, userId: string, roles: readonly string[]): Promise<{ userId: string; roles: string[] }> {
      let before: readonly string[] = [];
      const changed = await rules.change(actor, TEAM_AUDIT.memberRolesChanged, [{ type: 'member', id: userId }], async (ctx) => {
        ctx.require('team.manage');
        before = target(ctx, actor, userId);
        const after = ctx.validRoles(roles);
        ctx.checkOutranks(before, 'this member');
        ctx.checkGrant(after);
        lastOwnerGuard(ctx, userId, after.includes(OWNER_ROLE));
        await team.setRoles(ctx.tx, actor.accountId, userId, after);
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.memberRolesChanged, [{ type: 'member', id: userId }], { before: [...before], after }));
        return { userId, roles: after };
      });
      // Committed: now the member and the administrators are told (unless nothing changed).
      if ([...before].sort().join() !== changed.roles.join()) {
        await notices.rolesChanged({ accountId: actor.accountId, userId, actorId: actor.userId, before, after: changed.roles });
      }
      return changed;
    },

    async remove(actor: TeamActor, userId: string): Promise<{ userId: string }> {
      let before: readonly string[] = [];
      const removed = await rules.change(actor, TEAM_AUDIT.memberRemoved, [{ type: 'member', id: userId }], async (ctx) => {
        ctx.require('team.manage');
        before = target(ctx, actor, userId);
        ctx.checkOutranks(before, 'this member');
        lastOwnerGuard(ctx, userId, false);
        await team.deleteMember(ctx.tx, actor.accountId, userId);
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.memberRemoved, [{ type: 'member', id: userId }], { roles: [...before] }));
        return { userId };
      });
      await notices.memberRemoved({ accountId: actor.accountId, userId, actorId: actor.userId, roles: before });
      return removed;
    },
  };
}
export type MemberService = ReturnType<typeof createMemberService>;
