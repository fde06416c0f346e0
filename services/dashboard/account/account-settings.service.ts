// Account settings changes: "require MFA for every member". Only a member holding account.manage
// (Owner, Administrator) may change it (the route checks the permission, the service the member),
// in one transaction with its audit entry. A team-wide security change: every member who may manage
// the account is emailed.
import { sql, type Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import { readAccountSettings, writeRequireMfa } from './account-settings.store.ts';

export const ACCOUNT_AUDIT = { settingsUpdate: 'account.settings.update' } as const;

type Deps = { db: Kysely<DashboardDatabase>; audit: Audit; mail: Mailer; origin: string; now?: () => Date };

export function createAccountSettingsService(deps: Deps) {
  const { db, audit, mail } = deps;
  const now = deps.now ?? (() => new Date());

  /** Emails of the members who may manage the account (predefined Owner/Administrator, or a custom role with account.manage). */
  async function managers(accountId: string): Promise<string[]> {
    const result = await sql<{ email: string }>`
      SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.account_id = ${accountId}
         AND (m.roles && ARRAY['owner', 'administrator']::text[]
              OR EXISTS (SELECT 1 FROM team_roles r WHERE r.account_id = m.account_id AND r.id = ANY (m.roles) AND 'account.manage' = ANY (r.permissions)))
       ORDER BY u.email`.execute(db);
    return result.rows.map((r) => r.email);
  }

  return {
    read: (accountId: string) => readAccountSettings(db, accountId),

    async setRequireMfa(actor: { userId: string; accountId: string; email: string }, value: boolean, context: AuditContext): Promise<{ changed: boolean }> {
      const at = now();
      const before = await db.transaction().execute(async (tx) => {
        const previous = await writeRequireMfa(tx, actor.accountId, value, actor.userId, at);
        await audit.record(tx, {
          ...context, action: ACCOUNT_AUDIT.settingsUpdate, tenant: actor.accountId, targets: [{ type: 'account', id: actor.accountId }],
          outcome: { result: 'success' }, metadata: { setting: 'require_mfa', from: previous, to: value },
        });
        return previous;
      });
      if (before === value) return { changed: false };
      const words = value ? 'now requires' : 'no longer requires';
      for (const to of await managers(actor.accountId)) {
        mail.sendLater({
          kind: 'account_require_mfa', to, subject: `Strongroom security: your account ${words} two-step verification`,
          text: `${actor.email} changed a security setting of your Strongroom account at ${formatTime(at)}: it ${words} two-step verification for every member.\n\n` +
            (value ? 'Members without a second factor set one up at their next sign-in.\n\n' : '') +
            `Review it: ${deps.origin}/account/settings\n\nIf you did not expect this, review the audit log and the team.\n\n— Strongroom`,
        });
      }
      return { changed: true };
    },
  };
}
export type AccountSettingsService = ReturnType<typeof createAccountSettingsService>;
