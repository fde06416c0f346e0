// Account settings changes: "require MFA for every member". Only a member holding account.manage
// (Owner, Administrator) may change it (the route checks the permission, the service the member),
// in one transaction with its audit entry. A team-wide security change: every administrator of the
// account (team/administrators.ts) is emailed, after the commit.
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { Mailer } from '../mail/mailer.ts';
import { administratorEmails } from '../team/administrators.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { formatTime } from '../web/format.ts';
import { readAccountSettings, writeRequireMfa } from './account-settings.store.ts';

export const ACCOUNT_AUDIT = { settingsUpdate: 'account.settings.update' } as const;

type Deps = { db: Kysely<DashboardDatabase>; audit: Audit; mail: Pick<Mailer, 'sendLater'>; origin: string; now?: () => Date };

export function createAccountSettingsService(deps: Deps) {
  const { db, audit, mail } = deps;
  const now = deps.now ?? (() => new Date());

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
      for (const to of await administratorEmails(db, actor.accountId)) {
        mail.sendLater({
          kind: 'account_require_mfa', to, subject: `Strongroom security: your account ${words} two-step verification`,
          text: `${actor.email} changed a security setting of your Strongroom account at ${formatTime(at)}: it ${words} two-step verification for every member.\n\n` +
            (value ? 'Members without a second factor set one up at their next sign-in.\n\n' : '') +
            `Review it: ${deps.origin}/account/settings\n\nIf you did not expect this, review the audit log and the team.\n\n— Strongroom\nYou received this because you are an administrator of this account.`,
        });
      }
      return { changed: true };
    },
  };
}
export type AccountSettingsService = ReturnType<typeof createAccountSettingsService>;
