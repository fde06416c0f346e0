// Refunds of a paid charge (docs/omise-compat.md §7.4, §8.4). Like a charge, the refund row is written
// first (its id is the vault's idempotency key for the refund), then the vault refunds, then the row
// and the charge's refunded amount take the answer, each step in a transaction with its audit entry.
import { idPattern, newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { RequestOrigin } from '../customers/customers.service.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import { CHARGE_AUDIT } from '../charges/charges.audit.ts';
import { readAmount } from '../charges/charge-input.ts';
import { isPaid, presentRefund } from '../charges/charge-view.ts';
import type { ChargeStore } from '../charges/charges.store.ts';
import type { CreateRefundBody } from '../charges/charges.schemas.ts';
import { chargeEntry, type ChargeService, type ChargeVault } from '../charges/charges.service.ts';
import { ask, isOutage, passThrough } from '../charges/vault-answers.ts';
import type { RefundStore } from './refunds.store.ts';
import { settleRefund } from './refund-settlement.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../changes/changes.ts';
import { readMetadata } from '../metadata/metadata.ts';

const REFUND_ID = idPattern('refund');

export function createRefundService(deps: {
  db: Kysely<ApiDatabase>; charges: ChargeStore; refunds: RefundStore; vault: Pick<ChargeVault, 'refund'>;
  audit: Pick<Audit, 'record'>; findCharge: ChargeService['mustFind']; changes?: ChangeRecorder; now?: () => Date;
}) {
  const { db, charges, refunds, vault, audit, findCharge } = deps;
  const changes = deps.changes ?? IGNORE_CHANGES;
  const now = deps.now ?? (() => new Date());

  return {
    async create(merchant: Merchant, chargeId: string, body: CreateRefundBody, origin: RequestOrigin) {
      const charge = await findCharge(merchant, chargeId);
      const amount = readAmount(body.amount, 'amount');
      if (!amount.ok) throw httpError(400, 'invalid_amount', amount.problem);
      const metadata = readMetadata(body.metadata);
      if (!isPaid(charge) || charge.authorization_id === null) throw httpError(400, 'failed_refund', "charge can't be refunded");

      const id = newId('refund', merchant.livemode);
      const targets = [{ type: 'refund', id }, { type: 'charge', id: charge.id }];
      await db.transaction().execute(async (tx) => {
        // The charge row is locked while what is left is worked out and the refund written, so two
        // refunds at once are decided one after the other: the second sees the first's amount held.
        const locked = await tx.selectFrom('charges').select(['captured_amount', 'refunded_amount'])
          .where('id', '=', charge.id).forUpdate().executeTakeFirstOrThrow();
        // A refund whose answer was lost may have happened: it holds its amount back until reconciled.
        const left = locked.captured_amount - locked.refunded_amount - await refunds.unansweredAmount(charge.id, tx);
        if (left <= 0) throw httpError(400, 'failed_refund', "charge can't be refunded: it is fully refunded");
        if (amount.value > left) throw httpError(400, 'failed_refund', `charge can't be refunded: the amount is more than the ${left} left to refund`);
        await refunds.insert(tx, {
          id, charge_id: charge.id, account_id: merchant.accountId, livemode: merchant.livemode,
          amount: amount.value, currency: charge.currency, metadata: JSON.stringify(metadata),
          transaction_id: newId('transaction', merchant.livemode), // the ledger debit's id
        });
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.refundRequested, targets, { result: 'success' },
          { amount: amount.value, currency: charge.currency }));
      });
      const answer = await ask(() => vault.refund(merchant.accountId, merchant.livemode, charge.authorization_id!, amount.value, id, origin.requestId));
      if (!answer.ok) {
        const error = passThrough(answer);
        await db.transaction().execute(async (tx) => {
          // Unanswered, the refund stays `requested` (the vault refunds once per refund id, so it can be retried).
          if (!isOutage(answer)) await refunds.answer(tx, id, 'refused');
          await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.refunded, targets, { result: 'failure', reason: error.code }));
        });
        throw error;
      }
      const refund = await db.transaction().execute(async (tx) => {
        const answered = await settleRefund(tx, { charges, refunds, changes }, { id, charge_id: charge.id, account_id: merchant.accountId, livemode: merchant.livemode }, answer.body, now());
        await audit.record(tx, chargeEntry(merchant, origin, CHARGE_AUDIT.refunded, targets, { result: 'success' },
          { amount: answered.amount, currency: answered.currency, refunded_amount: answer.body.refunded_amount }));
        return answered;
      });
      return presentRefund(refund);
    },

    async list(merchant: Merchant, chargeId: string, query: unknown) {
      const charge = await findCharge(merchant, chargeId);
      const params = parseListParams(query, now());
      const { rows, total } = await refunds.list(merchant.accountId, merchant.livemode, charge.id, params);
      return listObject(params, `/charges/${charge.id}/refunds`, rows.map(presentRefund), total);
    },

    async retrieve(merchant: Merchant, chargeId: string, refundId: string) {
      const charge = await findCharge(merchant, chargeId);
      const row = REFUND_ID.test(refundId) ? await refunds.find(merchant.accountId, merchant.livemode, charge.id, refundId) : undefined;
      if (!row) throw httpError(404, 'not_found', REFUND_ID.test(refundId) ? `refund ${refundId} was not found` : 'refund was not found');
      return presentRefund(row);
    },
  };
}

export type RefundService = ReturnType<typeof createRefundService>;
