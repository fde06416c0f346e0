// Queries on the customers table. Every read is scoped by account and mode: another merchant's
// customer is simply not found. Customers are never removed, only marked deleted (Omise answers the
// deleted object); `live*` reads skip deleted ones.
import type { Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ListParams } from '../lists/list-params.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type CustomerRow = Selectable<ApiDatabase['customers']>;
export type CustomerChange = Partial<{ email: string | null; description: string | null; metadata: string; default_card: string | null; deleted: boolean }>;

export function createCustomerStore(db: Kysely<ApiDatabase>) {
  const scoped = (tx: Db, accountId: string, livemode: boolean) =>
    tx.selectFrom('customers').where('account_id', '=', accountId).where('livemode', '=', livemode);
  return {
    insert: (tx: Transaction<ApiDatabase>, row: {
      id: string; account_id: string; livemode: boolean; email: string | null; description: string | null; metadata: string; default_card?: string | null;
    }) => tx.insertInto('customers').values(row).returningAll().executeTakeFirstOrThrow(),
    /** Deleted customers included (callers that charge check `deleted` themselves). */
    find: (accountId: string, livemode: boolean, id: string) =>
      scoped(db, accountId, livemode).selectAll().where('id', '=', id).executeTakeFirst(),
    findLive: (accountId: string, livemode: boolean, id: string) =>
      scoped(db, accountId, livemode).selectAll().where('id', '=', id).where('deleted', '=', false).executeTakeFirst(),
    /**
     * The live customer, locked until the transaction ends: every change to a customer (and to its
     * cards at the vault) happens under this lock, so the api's default_card and the vault's cards
     * never drift apart through concurrent requests.
     */
    lockLive: (tx: Transaction<ApiDatabase>, accountId: string, livemode: boolean, id: string) =>
      scoped(tx, accountId, livemode).selectAll().where('id', '=', id).where('deleted', '=', false).forUpdate().executeTakeFirst(),
    update: (tx: Transaction<ApiDatabase>, id: string, change: CustomerChange) =>
      tx.updateTable('customers').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
    async list(accountId: string, livemode: boolean, params: ListParams): Promise<{ rows: CustomerRow[]; total: number }> {
      const window = scoped(db, accountId, livemode).where('deleted', '=', false)
        .where('created_at', '>=', params.from).where('created_at', '<=', params.to);
      const direction = params.order === 'chronological' ? 'asc' : 'desc';
      const [rows, count] = await Promise.all([
        window.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(params.limit).offset(params.offset).execute(),
        window.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },
  };
}
export type CustomerStore = ReturnType<typeof createCustomerStore>;
