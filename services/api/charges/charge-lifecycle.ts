// The charge lifecycle jobs, on interval timers started and stopped with the api: expiry of charges
// the payer abandoned, and reconciliation of charges the vault never answered. Both are safe with
// several api instances (each charge is locked with SKIP LOCKED by whichever instance gets it).
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { VaultClient } from '../vault/vault-client.ts';
import type { Announce, AuthenticationOutcome } from '../three-d-secure/authentication-outcome.ts';
import type { AuthenticationPages } from '../three-d-secure/authentication-pages.ts';
import { createChargeExpiryJob, EXPIRY_INTERVAL_MS } from './charge-expiry.job.ts';
import { createChargeLifecycleStore } from './charge-lifecycle.store.ts';
import { createChargeReconciliationJob, RECONCILIATION_INTERVAL_MS } from './charge-reconciliation.job.ts';
import type { ChargeStore } from './charges.store.ts';
import { createPeriodicJob } from './periodic-job.ts';

export function createChargeLifecycle(deps: {
  db: Kysely<ApiDatabase>; charges: Pick<ChargeStore, 'expire' | 'applyAuthorization'>;
  vault: Pick<VaultClient, 'authorize' | 'getAuthorization'>; pages: Pick<AuthenticationPages, 'open'>; outcome: AuthenticationOutcome;
  audit: Pick<Audit, 'record'>; announce: Announce; logger: Logger; now?: () => Date;
}) {
  const lifecycle = createChargeLifecycleStore(deps.db);
  const expiry = createChargeExpiryJob({ ...deps, lifecycle });
  const reconciliation = createChargeReconciliationJob({ ...deps, lifecycle });
  const timers = [
    createPeriodicJob({ name: 'charge-expiry', intervalMs: EXPIRY_INTERVAL_MS, run: expiry.runOnce, logger: deps.logger }),
    createPeriodicJob({ name: 'charge-reconciliation', intervalMs: RECONCILIATION_INTERVAL_MS, run: reconciliation.runOnce, logger: deps.logger }),
  ];
  return {
    expiry, reconciliation,
    start: () => { for (const timer of timers) timer.start(); },
    stop: async () => { await Promise.all(timers.map((timer) => timer.stop())); },
  };
}
