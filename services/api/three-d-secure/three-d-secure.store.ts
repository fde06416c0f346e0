// Queries of the 3-D Secure flow: its pages, and the few charge columns only this flow writes. Locks
// are always taken charge first, page second (here, in the page service and in the expiry job), so
// the payer's POST and the jobs never deadlock.
import type { Insertable, Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChargeRow } from '../charges/charges.store.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type PageRow = Selectable<ApiDatabase['three_d_secure_pages']>;

export function createThreeDSecureStore(db: Kysely<ApiDatabase>) {
  return {
    insertPage: (tx: Transaction<ApiDatabase>, row: Insertable<ApiDatabase['three_d_secure_pages']>) =>
      tx.insertInto('three_d_secure_pages').values(row).execute(),

    findPage: (secretHash: string, tx: Db = db): Promise<PageRow | undefined> =>
      tx.selectFrom('three_d_secure_pages').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst(),

    lockPage: (tx: Transaction<ApiDatabase>, chargeId: string): Promise<PageRow | undefined> =>
      tx.selectFrom('three_d_secure_pages').selectAll().where('charge_id', '=', chargeId).forUpdate().executeTakeFirst(),

    markUsed: (tx: Transaction<ApiDatabase>, chargeId: string, at: Date) =>
      tx.updateTable('three_d_secure_pages').set({ used_at: at }).where('charge_id', '=', chargeId).where('used_at', 'is', null).execute(),

    /** The charge behind a page: any state, answered by the vault (the page decides what it may do). */
    findCharge: (chargeId: string, tx: Db = db): Promise<ChargeRow | undefined> =>
      tx.selectFrom('charges').selectAll().where('id', '=', chargeId).where('exchange', '=', 'answered').executeTakeFirst(),

    lockCharge: (tx: Transaction<ApiDatabase>, chargeId: string): Promise<ChargeRow | undefined> =>
      tx.selectFrom('charges').selectAll().where('id', '=', chargeId).where('exchange', '=', 'answered').forUpdate().executeTakeFirst(),

    async merchantName(accountId: string): Promise<string> {
      const row = await db.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirst();
      return row?.name ?? '';
    },

    setAuthorizeUri: (tx: Transaction<ApiDatabase>, chargeId: string, uri: string, at: Date): Promise<ChargeRow> =>
      tx.updateTable('charges').set({ authorize_uri: uri, updated_at: at }).where('id', '=', chargeId).returningAll().executeTakeFirstOrThrow(),

    setAuthenticatedBy: (tx: Transaction<ApiDatabase>, chargeId: string, by: '3DS', at: Date): Promise<ChargeRow> =>
      tx.updateTable('charges').set({ authenticated_by: by, updated_at: at }).where('id', '=', chargeId).returningAll().executeTakeFirstOrThrow(),
  };
}

export type ThreeDSecureStore = ReturnType<typeof createThreeDSecureStore>;
