// The account's administrators, who hear about every team-wide security change (a member joined,
// roles changed, a member removed, a new API key, the "require MFA" setting): every member whose
// roles grant team.manage, predefined (Owner, Administrator, IAM Administrator) or custom. They
// can undo such a change, so a change made from a stolen session does not go unnoticed.
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { PREDEFINED_ROLES } from './roles.ts';

const PERMISSION = 'team.manage';
const PREDEFINED = PREDEFINED_ROLES.filter((r) => r.permissions.has(PERMISSION)).map((r) => r.key);

/** Their email addresses, sorted, each once. */
export async function administratorEmails(db: Kysely<DashboardDatabase> | Transaction<DashboardDatabase>, accountId: string): Promise<string[]> {
  const result = await sql<{ email: string }>`
    SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.account_id = ${accountId}
       AND (m.roles && ${PREDEFINED}::text[]
            OR EXISTS (SELECT 1 FROM team_roles r WHERE r.account_id = m.account_id AND r.id = ANY (m.roles) AND ${PERMISSION} = ANY (r.permissions)))
     ORDER BY u.email`.execute(db);
  return result.rows.map((r) => r.email);
}
