import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

export function createCustomerStore(db: Kysely<ApiDatabase>) {
  return {
    insert: (tx: Transaction<ApiDatabase>, row: { id: string; account_id: string; livemode: boolean; email: string | null; description: string | null; metadata: string }) =>
      tx.insertInto('customers').values(row).returningAll().executeTakeFirstOrThrow(),
    /** Scoped by account and mode: another merchant's customer is simply not found. */
    find: (accountId: string, livemode: boolean, id: string) =>
      db.selectFrom('customers').selectAll()
        .where('id', '=', id).where('account_id', '=', accountId).where('livemode', '=', livemode)
        .executeTakeFirst(),
  };
}
export type CustomerStore = ReturnType<typeof createCustomerStore>;
