// Queries on the api's refunds table, scoped like charges (account, mode, answered by the vault).
import type { Insertable, Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ListParams } from '../lists/list-params.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;
export type RefundRow = Selectable<ApiDatabase['refunds']>;

export function createRefundStore(db: Kysely<ApiDatabase>) {
  const scoped = (accountId: string, livemode: boolean, tx: Db = db) =>
    tx.selectFrom('refunds').where('account_id', '=', accountId).where('livemode', '=', livemode).where('exchange', '=', 'answered');

  return {
    insert: (tx: Transaction<ApiDatabase>, row: Insertable<ApiDatabase['refunds']>) =>
      tx.insertInto('refunds').values(row).returningAll().executeTakeFirstOrThrow(),

    answer: (tx: Transaction<ApiDatabase>, id: string, exchange: 'answered' | 'refused') =>
      tx.updateTable('refunds').set({ exchange }).where('id', '=', id).where('exchange', '=', 'requested').returningAll().executeTakeFirst(),

    find: (accountId: string, livemode: boolean, chargeId: string, id: string) =>
      scoped(accountId, livemode).selectAll().where('charge_id', '=', chargeId).where('id', '=', id).executeTakeFirst(),

    async list(accountId: string, livemode: boolean, chargeId: string, params: ListParams): Promise<{ rows: RefundRow[]; total: number }> {
      const window = scoped(accountId, livemode).where('charge_id', '=', chargeId)
        .where('created_at', '>=', params.from).where('created_at', '<=', params.to);
      const direction = params.order === 'chronological' ? 'asc' : 'desc';
      const [rows, count] = await Promise.all([
        window.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(params.limit).offset(params.offset).execute(),
        window.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },

    /** What refunds still waiting for the vault's answer hold back of a charge (they may have happened). */
    async unansweredAmount(chargeId: string, tx: Kysely<ApiDatabase> | Transaction<ApiDatabase> = db): Promise<number> {
      const row = await tx.selectFrom('refunds').where('charge_id', '=', chargeId).where('exchange', '=', 'requested')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount'), eb.lit(0)).as('held')).executeTakeFirstOrThrow();
      return Number(row.held);
    },

    /** Refunds the vault never answered, written at or before `createdBefore` (the reconciliation job's candidates). */
    unansweredIds: async (createdBefore: Date, limit: number): Promise<string[]> =>
      (await db.selectFrom('refunds').select('id').where('exchange', '=', 'requested').where('created_at', '<=', createdBefore)
        .orderBy('created_at').limit(limit).execute()).map((row) => row.id),

    /** One of them, locked for the caller's transaction; skipped if another instance holds it. */
    lockUnanswered: (tx: Transaction<ApiDatabase>, id: string) =>
      tx.selectFrom('refunds').selectAll().where('id', '=', id).where('exchange', '=', 'requested').forUpdate().skipLocked().executeTakeFirst(),

    /** The vault authorization a refund is made against (its charge's). */
    authorizationOf: async (tx: Transaction<ApiDatabase>, chargeId: string): Promise<string | null> =>
      (await tx.selectFrom('charges').select('authorization_id').where('id', '=', chargeId).executeTakeFirst())?.authorization_id ?? null,

    /**
     * Refunds of several charges at once (to embed them in a page of charges), oldest first. Inside a
     * transaction pass it as `tx`: a second pooled connection taken while one is held can exhaust the pool.
     */
    async forCharges(accountId: string, livemode: boolean, chargeIds: readonly string[], tx: Db = db): Promise<Map<string, RefundRow[]>> {
      const byCharge = new Map<string, RefundRow[]>(chargeIds.map((id) => [id, []]));
      if (chargeIds.length === 0) return byCharge;
      const rows = await scoped(accountId, livemode, tx).selectAll().where('charge_id', 'in', chargeIds)
        .orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      for (const row of rows) byCharge.get(row.charge_id)?.push(row);
      return byCharge;
    },
  };
}

export type RefundStore = ReturnType<typeof createRefundStore>;
