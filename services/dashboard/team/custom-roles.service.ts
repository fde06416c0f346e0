// Custom roles: an account's own permission sets, built from the same catalogue as the predefined
// roles. Only permissions the actor holds can go into one; a role the actor holds, or one that holds
// more than the actor, cannot be changed or deleted by it; a role in use cannot be deleted.
import { randomBase36 } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { BASELINE_PERMISSIONS, isPermission, type Permission } from './permissions.ts';
import { PREDEFINED_ROLES } from './roles.ts';
import type { CustomRoleRow, TeamStore } from './team.store.ts';
import { refusal, type TeamContext, type TeamRules } from './team-rules.ts';
import { TEAM_AUDIT, teamAuditRecord, type TeamActor } from './team.audit.ts';

export type CustomRoleInput = { name: string; description?: string; permissions: readonly string[]; phishingResistantMfa?: boolean };
export type CustomRoleView = {
  id: string; name: string; description: string; permissions: Permission[]; phishingResistantMfa: boolean; createdAt: string; updatedAt: string;
};

const RESERVED_NAMES = new Set(PREDEFINED_ROLES.flatMap((r) => [r.key, r.name.toLowerCase()]));

export function customRoleView(row: CustomRoleRow): CustomRoleView {
  return {
    id: row.id, name: row.name, description: row.description, permissions: row.permissions.filter(isPermission).sort(),
    phishingResistantMfa: row.phishing_resistant_mfa, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

function cleanName(ctx: TeamContext, raw: string, exceptId?: string): string {
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0 || name.length > 60) throw httpError(400, 'bad_request', 'name must be 1 to 60 characters');
  if (RESERVED_NAMES.has(name.toLowerCase())) throw httpError(409, 'conflict', 'name is taken by a predefined role');
  if (ctx.customRoles.some((r) => r.id !== exceptId && r.name.toLowerCase() === name.toLowerCase())) {
    throw httpError(409, 'conflict', 'a role with this name already exists in the account');
  }
  return name;
}

/** Catalogue permissions only, plus the baseline every member holds; sorted and unique. */
function cleanPermissions(raw: readonly string[]): Permission[] {
  if (raw.length === 0) throw httpError(400, 'bad_request', 'permissions must name at least one permission');
  const unknown = raw.find((p) => !isPermission(p));
  if (unknown !== undefined) throw httpError(400, 'bad_request', `permissions: ${unknown.slice(0, 40)} is not a permission`);
  return [...new Set([...BASELINE_PERMISSIONS, ...(raw as Permission[])])].sort();
}

function cleanDescription(raw: string | undefined): string {
  const text = (raw ?? '').trim();
  if (text.length > 200) throw httpError(400, 'bad_request', 'description must be at most 200 characters');
  return text;
}

/** The role, in this account, that the actor may change: not one it holds, not one above it. */
function changeable(ctx: TeamContext, actor: TeamActor, id: string): CustomRoleRow {
  const row = ctx.customRoles.find((r) => r.id === id);
  if (!row) throw httpError(404, 'not_found', 'no such role in this account');
  if (ctx.members.get(actor.userId)?.includes(id)) throw refusal('nobody can change a role they hold; ask another administrator');
  ctx.checkOutranks([id], 'this role');
  return row;
}

export function createCustomRoleService(deps: { team: TeamStore; rules: TeamRules }) {
  const { team, rules } = deps;
  return {
    async list(accountId: string): Promise<CustomRoleView[]> {
      return (await team.customRoles(accountId)).map(customRoleView);
    },

    async create(actor: TeamActor, input: CustomRoleInput): Promise<CustomRoleView> {
      const id = `role_${randomBase36(19)}`;
      return rules.change(actor, TEAM_AUDIT.roleCreated, [{ type: 'role', id }], async (ctx) => {
        ctx.require('roles.manage');
        const permissions = cleanPermissions(input.permissions);
        ctx.checkGrantable(permissions);
        const row = await team.insertCustomRole(ctx.tx, {
          id, account_id: actor.accountId, name: cleanName(ctx, input.name), description: cleanDescription(input.description),
          permissions, phishing_resistant_mfa: input.phishingResistantMfa === true, created_by: actor.userId,
        });
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.roleCreated, [{ type: 'role', id }],
          { name: row.name, permissions, phishing_resistant_mfa: row.phishing_resistant_mfa }));
        return customRoleView(row);
      });
    },

    async update(actor: TeamActor, id: string, input: CustomRoleInput): Promise<CustomRoleView> {
      return rules.change(actor, TEAM_AUDIT.roleUpdated, [{ type: 'role', id }], async (ctx) => {
        ctx.require('roles.manage');
        const before = changeable(ctx, actor, id);
        const permissions = cleanPermissions(input.permissions);
        ctx.checkGrantable(permissions);
        const row = await team.updateCustomRole(ctx.tx, actor.accountId, id, {
          name: cleanName(ctx, input.name, id), description: cleanDescription(input.description),
          permissions, phishing_resistant_mfa: input.phishingResistantMfa === true,
        });
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.roleUpdated, [{ type: 'role', id }], {
          name: row.name, before: before.permissions, after: permissions,
          phishing_resistant_mfa: row.phishing_resistant_mfa,
        }));
        return customRoleView(row);
      });
    },

    async remove(actor: TeamActor, id: string): Promise<{ id: string }> {
      return rules.change(actor, TEAM_AUDIT.roleDeleted, [{ type: 'role', id }], async (ctx) => {
        ctx.require('roles.manage');
        const row = changeable(ctx, actor, id);
        const use = await team.roleUse(ctx.tx, actor.accountId, id);
        if (use.members > 0 || use.invitations > 0) {
          throw httpError(409, 'conflict', `the role is held by ${use.members} member(s) and ${use.invitations} open invitation(s); change those first`);
        }
        await team.deleteCustomRole(ctx.tx, actor.accountId, id);
        await rules.record(ctx.tx, teamAuditRecord(actor, TEAM_AUDIT.roleDeleted, [{ type: 'role', id }], { name: row.name, permissions: row.permissions }));
        return { id };
      });
    },
  };
}
export type CustomRoleService = ReturnType<typeof createCustomRoleService>;
