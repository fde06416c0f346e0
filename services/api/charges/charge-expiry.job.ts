// Lapses charges still waiting for the payer (pending, not authorized: 3-D Secure never finished) at
// their expires_at: status `expired`, audited, announced as `charge.expire`, as `POST /charges/:id/expire`
// does for the merchant. Each charge is locked on its own (SKIP LOCKED), and the vault is asked first
// while the row is locked: if 3-D Secure did finish there (the api crashed or timed out before it
// recorded the answer), the charge takes that outcome (`charge.complete`) instead of expiring.
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import { isSettled, type Announce, type AuthenticationOutcome } from '../three-d-secure/authentication-outcome.ts';
import { CHARGE_AUDIT } from './charges.audit.ts';
import { AUTHORIZATION_LIFETIME_MS, expiresAt } from './charge-view.ts';
import { CHARGE_JOBS, jobEntry } from './charge-jobs.audit.ts';
import type { ChargeLifecycleStore } from './charge-lifecycle.store.ts';
import type { ChargeStore } from './charges.store.ts';
import { ask, isOutage } from './vault-answers.ts';

export const EXPIRY_INTERVAL_MS = 15_000;
const BATCH = 100;

export type ExpiryResult = 'expired' | 'completed' | 'skipped' | 'deferred';

export function createChargeExpiryJob(deps: {
  db: Kysely<ApiDatabase>; lifecycle: ChargeLifecycleStore; charges: Pick<ChargeStore, 'expire'>;
  vault: Pick<VaultClient, 'getAuthorization'>; outcome: AuthenticationOutcome; audit: Pick<Audit, 'record'>;
  announce: Announce; logger: Logger; now?: () => Date;
}) {
  const { db, lifecycle, charges, vault, outcome, audit, announce, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function expireOne(id: string, at: Date): Promise<ExpiryResult> {
    const createdBefore = new Date(at.getTime() - AUTHORIZATION_LIFETIME_MS);
    return db.transaction().execute(async (tx): Promise<ExpiryResult> => {
      const row = await lifecycle.lockLapsed(tx, id, createdBefore);
      if (!row) return 'skipped';
      if (row.authorization_id !== null) {
        const answer = await ask(() => vault.getAuthorization(row.account_id, row.livemode, row.authorization_id!));
        // Unknown at the vault now: expiring could contradict it. The next run asks again.
        if (!answer.ok && isOutage(answer)) return 'deferred';
        if (answer.ok && isSettled(answer.body)) {
          await outcome.settle(tx, row, answer.body, (after) => jobEntry(CHARGE_JOBS.expiry, 'charge.complete', after,
            after.status === 'failed' ? { result: 'failure', reason: after.failure_code ?? 'declined' } : { result: 'success' },
            { status: after.status, found: 'settled_at_vault' }), at);
          return 'completed';
        }
      }
      const after = await charges.expire(tx, row.id, at);
      if (!after) return 'skipped';
      await audit.record(tx, jobEntry(CHARGE_JOBS.expiry, CHARGE_AUDIT.expired, after, { result: 'success' },
        { expires_at: expiresAt(after).toISOString() }));
      await announce(tx, { accountId: after.account_id, livemode: after.livemode }, 'charge.expire', after);
      return 'expired';
    });
  }

  return {
    /** One pass over the lapsed charges (at most one batch); counts what happened to them. */
    async runOnce(): Promise<Record<ExpiryResult | 'errors', number>> {
      const at = now();
      const counts = { expired: 0, completed: 0, skipped: 0, deferred: 0, errors: 0 };
      for (const id of await lifecycle.lapsedIds(new Date(at.getTime() - AUTHORIZATION_LIFETIME_MS), BATCH)) {
        try {
          counts[await expireOne(id, at)]++;
        } catch (error) {
          counts.errors++;
          logger.warn({ err: error, charge: id }, 'expiring a charge failed; the next run retries');
        }
      }
      if (counts.expired + counts.completed + counts.deferred + counts.errors > 0) logger.info({ job: CHARGE_JOBS.expiry, ...counts }, 'charge expiry run');
      return counts;
    },
  };
}

export type ChargeExpiryJob = ReturnType<typeof createChargeExpiryJob>;
