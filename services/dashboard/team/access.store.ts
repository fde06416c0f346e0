// The per-request read: a member's roles and permissions in one account, in ONE query (the
// membership row by primary key, plus the custom roles it names by primary key). sessions/ calls
// `memberAccess` on every request, so removing a member or a role takes effect at the next request.
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Permission } from './permissions.ts';
import { rolePermissions, type CustomRoleGrant } from './roles.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;

export type MemberAccess = {
  userId: string;
  accountId: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  /** The member's custom roles that require phishing-resistant MFA (for `requiresPhishingResistantMfa`). */
  phishingResistantCustomRoles: string[];
};

type CustomJson = { id: string; permissions: string[]; mfa: boolean };

function grants(custom: CustomJson[]): CustomRoleGrant[] {
  return custom.map((c) => ({ id: c.id, permissions: c.permissions, phishingResistantMfa: c.mfa }));
}

export function createAccessStore(db: Kysely<DashboardDatabase>) {
  return {
    /** null when the user is not (or no longer) a member of the account. */
    async memberAccess(userId: string, accountId: string, tx: Db = db): Promise<MemberAccess | null> {
      const result = await sql<{ roles: string[]; custom: CustomJson[] }>`
        SELECT m.roles,
               coalesce((SELECT json_agg(json_build_object('id', r.id, 'permissions', r.permissions, 'mfa', r.phishing_resistant_mfa))
                           FROM team_roles r WHERE r.account_id = m.account_id AND r.id = ANY (m.roles)), '[]'::json) AS custom
          FROM memberships m
         WHERE m.user_id = ${userId} AND m.account_id = ${accountId}`.execute(tx);
      const row = result.rows[0];
      if (!row) return null;
      const custom = grants(row.custom);
      return {
        userId, accountId, roles: row.roles,
        permissions: rolePermissions(row.roles, custom),
        phishingResistantCustomRoles: custom.filter((c) => c.phishingResistantMfa).map((c) => c.id),
      };
    },

    /** Union of the permissions of `roles` in `accountId` (custom role ids resolved in that account only). */
    async permissionsFor(accountId: string, roles: readonly string[], tx: Db = db): Promise<ReadonlySet<Permission>> {
      const ids = roles.filter((r) => r.startsWith('role_'));
      const custom = ids.length === 0 ? [] : await tx.selectFrom('team_roles')
        .select(['id', 'permissions', 'phishing_resistant_mfa'])
        .where('account_id', '=', accountId).where('id', 'in', ids).execute();
      return rolePermissions(roles, custom.map((c) => ({ id: c.id, permissions: c.permissions, phishingResistantMfa: c.phishing_resistant_mfa })));
    },
  };
}
export type AccessStore = ReturnType<typeof createAccessStore>;
