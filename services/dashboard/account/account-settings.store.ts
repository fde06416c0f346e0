// The account_settings row of an account (0007_account_settings.sql); no row means the defaults.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;

export type AccountSettings = { requireMfa: boolean; updatedBy: string | null; updatedAt: Date | null };

export async function readAccountSettings(db: Db, accountId: string): Promise<AccountSettings> {
  const row = await db.selectFrom('account_settings').select(['require_mfa', 'updated_by', 'updated_at'])
    .where('account_id', '=', accountId).executeTakeFirst();
  return row ? { requireMfa: row.require_mfa, updatedBy: row.updated_by, updatedAt: row.updated_at } : { requireMfa: false, updatedBy: null, updatedAt: null };
}

/** Whether the account requires a second factor of every member (mfa/ reads it at every sign-in). */
export async function readRequireMfa(db: Db, accountId: string): Promise<boolean> {
  return (await readAccountSettings(db, accountId)).requireMfa;
}

/** Sets the flag under the row's lock; returns the value it had before. */
export async function writeRequireMfa(tx: Transaction<DashboardDatabase>, accountId: string, value: boolean, by: string, at: Date): Promise<boolean> {
  const before = await tx.selectFrom('account_settings').select('require_mfa').where('account_id', '=', accountId).forUpdate().executeTakeFirst();
  await tx.insertInto('account_settings').values({ account_id: accountId, require_mfa: value, updated_by: by, updated_at: at })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ require_mfa: value, updated_by: by, updated_at: at })).execute();
  return before?.require_mfa ?? false;
}
