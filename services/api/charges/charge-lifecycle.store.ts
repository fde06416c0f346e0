// Queries of the charge lifecycle jobs: charges waiting for the payer past their expiry, and charges
// the vault never answered. Candidates are read without a lock; each is then locked on its own with
// SKIP LOCKED and its conditions checked again, so two api instances (or a payer's POST holding the
// row) never process the same charge twice and never wait on each other.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChargeRow } from './charges.store.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;

/** What the reconciliation job writes when the vault holds no authorization for a charge. */
export const UNANSWERED_FAILURE = {
  code: 'failed_processing',
  message: 'failed processing: the card vault did not answer, and it holds no authorization for this charge; nothing was charged',
} as const;

export function createChargeLifecycleStore(db: Kysely<ApiDatabase>) {
  // Pending, not authorized, created at or before `createdBefore` (so past expires_at).
  const lapsed = (tx: Db, createdBefore: Date) => tx.selectFrom('charges')
    .where('exchange', '=', 'answered').where('status', '=', 'pending').where('authorized', '=', false).where('created_at', '<=', createdBefore);
  // Written before the vault was asked, never answered, unchanged since `updatedBefore`.
  const unanswered = (tx: Db, updatedBefore: Date) => tx.selectFrom('charges')
    .where('exchange', '=', 'requested').where('updated_at', '<=', updatedBefore);

  return {
    lapsedIds: async (createdBefore: Date, limit: number): Promise<string[]> =>
      (await lapsed(db, createdBefore).select('id').orderBy('created_at').limit(limit).execute()).map((row) => row.id),

    lockLapsed: (tx: Transaction<ApiDatabase>, id: string, createdBefore: Date): Promise<ChargeRow | undefined> =>
      lapsed(tx, createdBefore).selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst(),

    unansweredIds: async (updatedBefore: Date, limit: number): Promise<string[]> =>
      (await unanswered(db, updatedBefore).select('id').orderBy('updated_at').limit(limit).execute()).map((row) => row.id),

    lockUnanswered: (tx: Transaction<ApiDatabase>, id: string, updatedBefore: Date): Promise<ChargeRow | undefined> =>
      unanswered(tx, updatedBefore).selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst(),

    markUnansweredFailed: (tx: Transaction<ApiDatabase>, id: string, at: Date): Promise<ChargeRow | undefined> =>
      tx.updateTable('charges').set({
        exchange: 'answered', status: 'failed', failure_code: UNANSWERED_FAILURE.code, failure_message: UNANSWERED_FAILURE.message, updated_at: at,
      }).where('id', '=', id).where('exchange', '=', 'requested').returningAll().executeTakeFirst(),
  };
}

export type ChargeLifecycleStore = ReturnType<typeof createChargeLifecycleStore>;
