// Resolves charges left `exchange = 'requested'`: the row was written, the vault was asked, and no
// answer was recorded (the api crashed, or the vault timed out or was down; the merchant got a 503).
//
// The rule (docs/omise-compat.md §10.4 note, services/api/charges):
//  1. A charge is looked at once it has been `requested` for RECONCILE_AFTER_MS (2 min): far past the
//     vault client's 10 s timeout, so the request that created it has given up.
//  2. The vault is asked with the charge id and NO card, token or customer. The vault's authorize
//     answers a known charge id with the authorization it already holds, before anything else
//     (services/vault/authorizations/authorizations.service.ts, `findByCharge`), and refuses a request
//     without a card (`missing_card`) otherwise. So this lookup can return an authorization made when
//     the merchant asked, but can never make one now: a charge the merchant was told had failed is
//     never charged later by this job.
//  3. An authorization found: the charge takes it (successful, failed, pending, or waiting for 3-D
//     Secure with a page opened) and `charge.create` is announced, since the merchant never got it.
//  4. `missing_card` (the vault holds no authorization): once the charge has been requested for
//     GIVE_UP_AFTER_MS (15 min), it is marked failed (`failed_processing`) and announced; before that
//     the job asks again on each run, in case the vault's own transaction was still running. (Residual
//     risk: a vault transaction committing more than 15 minutes after the request would be missed; the
//     vault's authorize transaction holds one acquirer call, far shorter than that.)
//  5. The vault down or refusing otherwise: nothing is decided; the next run asks again, without limit,
//     because only the vault can say whether money moved.
import type { Logger } from 'pino';
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import type { Announce } from '../three-d-secure/authentication-outcome.ts';
import type { AuthenticationPages } from '../three-d-secure/authentication-pages.ts';
import { CHARGE_AUDIT } from './charges.audit.ts';
import { CHARGE_JOBS, jobEntry } from './charge-jobs.audit.ts';
import type { ChargeLifecycleStore } from './charge-lifecycle.store.ts';
import type { ChargeRow, ChargeStore } from './charges.store.ts';
import { ask, changeFrom, isOutage } from './vault-answers.ts';

export const RECONCILE_AFTER_MS = 2 * 60_000;
export const GIVE_UP_AFTER_MS = 15 * 60_000;
export const RECONCILIATION_INTERVAL_MS = 15_000;
const BATCH = 100;

export type ReconcileResult = 'answered' | 'failed' | 'waiting' | 'skipped' | 'deferred';

const outcomeOf = (row: ChargeRow): AuditRecord['outcome'] =>
  row.status === 'failed' ? { result: 'failure', reason: row.failure_code ?? 'declined' } : { result: 'success' };

export function createChargeReconciliationJob(deps: {
  db: Kysely<ApiDatabase>; lifecycle: ChargeLifecycleStore; charges: Pick<ChargeStore, 'applyAuthorization'>;
  vault: Pick<VaultClient, 'authorize'>; pages: Pick<AuthenticationPages, 'open'>; audit: Pick<Audit, 'record'>;
  announce: Announce; logger: Logger; now?: () => Date;
}) {
  const { db, lifecycle, charges, vault, pages, audit, announce, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function reconcileOne(id: string, at: Date): Promise<ReconcileResult> {
    return db.transaction().execute(async (tx): Promise<ReconcileResult> => {
      const row = await lifecycle.lockUnanswered(tx, id, new Date(at.getTime() - RECONCILE_AFTER_MS));
      if (!row) return 'skipped';
      // A lookup, not a charge: no card, token or customer (rule 2).
      const answer = await ask(() => vault.authorize(row.account_id, {
        livemode: row.livemode, charge_id: row.id, amount: row.amount, currency: row.currency, capture: row.capture,
      }));
      let after: ChargeRow | undefined;
      if (answer.ok) {
        const applied = await charges.applyAuthorization(tx, row.id, changeFrom(answer.body), at);
        after = answer.body.status === 'authentication_required' ? await pages.open(tx, applied, at) : applied;
      } else if (answer.status === 400 && answer.body.code === 'missing_card') {
        if (row.updated_at.getTime() > at.getTime() - GIVE_UP_AFTER_MS) return 'waiting';
        after = await lifecycle.markUnansweredFailed(tx, row.id, at);
        if (!after) return 'skipped';
      } else {
        if (!isOutage(answer)) logger.warn({ charge: row.id, status: answer.status, code: answer.body.code }, 'the vault refused a reconciliation lookup');
        return 'deferred';
      }
      await audit.record(tx, jobEntry(CHARGE_JOBS.reconciliation, CHARGE_AUDIT.created, after, outcomeOf(after),
        { status: after.status, failure_code: after.failure_code, found: answer.ok ? 'vault_authorization' : 'no_authorization' }));
      await announce(tx, { accountId: after.account_id, livemode: after.livemode }, 'charge.create', after);
      return answer.ok ? 'answered' : 'failed';
    });
  }

  return {
    /** One pass over the unanswered charges (at most one batch); counts what happened to them. */
    async runOnce(): Promise<Record<ReconcileResult | 'errors', number>> {
      const at = now();
      const counts = { answered: 0, failed: 0, waiting: 0, skipped: 0, deferred: 0, errors: 0 };
      for (const id of await lifecycle.unansweredIds(new Date(at.getTime() - RECONCILE_AFTER_MS), BATCH)) {
        try {
          counts[await reconcileOne(id, at)]++;
        } catch (error) {
          counts.errors++;
          logger.warn({ err: error, charge: id }, 'reconciling a charge failed; the next run retries');
        }
      }
      if (counts.answered + counts.failed + counts.deferred + counts.errors > 0) logger.info({ job: CHARGE_JOBS.reconciliation, ...counts }, 'charge reconciliation run');
      return counts;
    },
  };
}

export type ChargeReconciliationJob = ReturnType<typeof createChargeReconciliationJob>;
