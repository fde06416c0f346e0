// The merchant accounts a user belongs to, for the accounts page: each membership with the names of
// its roles (custom role names read in that account only), oldest first: sign-in lands in the first.
import { sql, type Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { predefinedRole } from '../team/roles.ts';

export type Membership = { accountId: string; roles: string[]; roleNames: string[]; since: Date };

/** More than anyone belongs to; the page lists at most this many. */
const MAX_LISTED = 200;

export function createAccountsStore(db: Kysely<DashboardDatabase>) {
  return {
    async memberships(userId: string): Promise<Membership[]> {
      const result = await sql<{ account_id: string; roles: string[]; created_at: Date; custom: Array<{ id: string; name: string }> }>`
        SELECT m.account_id, m.roles, m.created_at,
               coalesce((SELECT json_agg(json_build_object('id', r.id, 'name', r.name))
                           FROM team_roles r WHERE r.account_id = m.account_id AND r.id = ANY (m.roles)), '[]'::json) AS custom
          FROM memberships m
         WHERE m.user_id = ${userId}
         ORDER BY m.created_at, m.account_id
         LIMIT ${MAX_LISTED}`.execute(db);
      return result.rows.map((row) => {
        const custom = new Map(row.custom.map((c) => [c.id, c.name]));
        return {
          accountId: row.account_id, roles: row.roles, since: row.created_at,
          roleNames: row.roles.map((key) => predefinedRole(key)?.name ?? custom.get(key) ?? key),
        };
      });
    },
  };
}
export type AccountsStore = ReturnType<typeof createAccountsStore>;
