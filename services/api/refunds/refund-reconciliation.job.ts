// Resolves refunds left `exchange = 'requested'`: the row was written and the vault asked, and no answer
// was recorded (the api crashed, or the vault timed out; the merchant got a 5xx, which the Idempotency-Key
// table keeps, so a retry under the same key never makes a second refund).
//
// The rule: once a refund has been `requested` for RECONCILE_AFTER_MS, the vault is asked again with the
// SAME refund id. The vault refunds once per refund id (a repeat replays the first answer), so this either
// learns the refund that happened or completes the one the merchant asked for; it can never refund twice.
// Until then the amount is held back from the charge's refundable amount (refunds.service.ts).
//  - an answer: settled like a merchant's request (refund-settlement.ts), audited, `refund.create` announced;
//  - a refusal (e.g. the charge was reversed meanwhile): the refund is `refused`, audited as a failure;
//  - the vault down: nothing is decided, the next run asks again.
import type { Logger } from 'pino';
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import type { ChangeRecorder } from '../changes/changes.ts';
import type { ChargeStore } from '../charges/charges.store.ts';
import { CHARGE_AUDIT } from '../charges/charges.audit.ts';
import { ask, isOutage } from '../charges/vault-answers.ts';
import type { RefundRow, RefundStore } from './refunds.store.ts';
import { settleRefund } from './refund-settlement.ts';

export const REFUND_RECONCILE_AFTER_MS = 2 * 60_000;
export const REFUND_RECONCILIATION_INTERVAL_MS = 15_000;
const BATCH = 100;
const JOB = 'refund-reconciliation';

export type RefundReconcileResult = 'answered' | 'refused' | 'skipped' | 'deferred';

function entry(refund: RefundRow, outcome: AuditRecord['outcome'], metadata: Record<string, unknown>): AuditRecord {
  return {
    actor: { type: 'system', id: JOB }, action: CHARGE_AUDIT.refunded, tenant: refund.account_id, outcome,
    targets: [{ type: 'refund', id: refund.id }, { type: 'charge', id: refund.charge_id }],
    metadata: { livemode: refund.livemode, amount: refund.amount, currency: refund.currency, ...metadata },
  };
}

export function createRefundReconciliationJob(deps: {
  db: Kysely<ApiDatabase>; refunds: Pick<RefundStore, 'unansweredIds' | 'lockUnanswered' | 'authorizationOf' | 'answer'>;
  charges: Pick<ChargeStore, 'applyAuthorization'>;
  vault: Pick<VaultClient, 'refund'>; audit: Pick<Audit, 'record'>; changes: ChangeRecorder; logger: Logger; now?: () => Date;
}) {
  const { db, refunds, charges, vault, audit, changes, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function reconcileOne(id: string, at: Date): Promise<RefundReconcileResult> {
    return db.transaction().execute(async (tx): Promise<RefundReconcileResult> => {
      const refund = await refunds.lockUnanswered(tx, id);
      if (!refund || refund.created_at.getTime() > at.getTime() - REFUND_RECONCILE_AFTER_MS) return 'skipped';
      const authorization = await refunds.authorizationOf(tx, refund.charge_id);
      if (authorization === null) throw new Error(`refund ${refund.id}: its charge has no authorization`);
      const answer = await ask(() => vault.refund(refund.account_id, refund.livemode, authorization, refund.amount, refund.id));
      if (answer.ok) {
        await settleRefund(tx, { charges, refunds, changes }, refund, answer.body, at);
        await audit.record(tx, entry(refund, { result: 'success' }, { found: 'vault_answer', refunded_amount: answer.body.refunded_amount }));
        return 'answered';
      }
      if (isOutage(answer)) return 'deferred';
      await refunds.answer(tx, refund.id, 'refused');
      await audit.record(tx, entry(refund, { result: 'failure', reason: answer.body.code }, { found: 'vault_refusal' }));
      return 'refused';
    });
  }

  return {
    /** One pass over the unanswered refunds (at most one batch); counts what happened to them. */
    async runOnce(): Promise<Record<RefundReconcileResult | 'errors', number>> {
      const at = now();
      const counts = { answered: 0, refused: 0, skipped: 0, deferred: 0, errors: 0 };
      for (const id of await refunds.unansweredIds(new Date(at.getTime() - REFUND_RECONCILE_AFTER_MS), BATCH)) {
        try {
          counts[await reconcileOne(id, at)]++;
        } catch (error) {
          counts.errors++;
          logger.warn({ err: error, refund: id }, 'reconciling a refund failed; the next run retries');
        }
      }
      if (counts.answered + counts.refused + counts.deferred + counts.errors > 0) logger.info({ job: JOB, ...counts }, 'refund reconciliation run');
      return counts;
    },
  };
}

export type RefundReconciliationJob = ReturnType<typeof createRefundReconciliationJob>;
