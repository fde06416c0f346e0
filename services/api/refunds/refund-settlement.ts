// Applying the vault's answer to a refund: the refund row becomes `answered`, the charge takes the
// vault's running refunded total, and `refund.create` is announced (the ledger posts the debit), all in
// the caller's transaction. Shared by the merchant's request and the reconciliation job, so a refund
// settles the same way whoever learns the answer.
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { ChangeRecorder } from '../changes/changes.ts';
import { presentRefund } from '../charges/charge-view.ts';
import type { ChargeStore } from '../charges/charges.store.ts';
import { changeFrom } from '../charges/vault-answers.ts';
import type { VaultAuthorization } from '../vault/vault-client.ts';
import type { RefundRow, RefundStore } from './refunds.store.ts';

export async function settleRefund(tx: Transaction<ApiDatabase>, deps: { charges: Pick<ChargeStore, 'applyAuthorization'>; refunds: Pick<RefundStore, 'answer'>; changes: ChangeRecorder },
  refund: Pick<RefundRow, 'id' | 'charge_id' | 'account_id' | 'livemode'>, authorization: VaultAuthorization, at: Date): Promise<RefundRow> {
  const answered = await deps.refunds.answer(tx, refund.id, 'answered');
  if (!answered) throw new Error(`refund ${refund.id} was not waiting for the vault's answer`);
  await deps.charges.applyAuthorization(tx, refund.charge_id, changeFrom(authorization), at);
  await deps.changes.record(tx, { merchant: { accountId: refund.account_id, livemode: refund.livemode }, key: 'refund.create', data: presentRefund(answered), at });
  return answered;
}
