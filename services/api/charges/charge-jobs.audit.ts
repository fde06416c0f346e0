// Audit entries of the charge lifecycle jobs (expiry, reconciliation): `system` actors named after
// the job, the merchant as tenant, no origin (no request made the change).
import type { AuditRecord } from '#lib/audit/index.ts';
import type { ChargeRow } from './charges.store.ts';

export const CHARGE_JOBS = { expiry: 'charge-expiry', reconciliation: 'charge-reconciliation' } as const;

export function jobEntry(job: (typeof CHARGE_JOBS)[keyof typeof CHARGE_JOBS], action: string, charge: Pick<ChargeRow, 'id' | 'account_id' | 'livemode'>,
  outcome: AuditRecord['outcome'], metadata: Record<string, unknown> = {}): AuditRecord {
  return {
    actor: { type: 'system', id: job }, action, tenant: charge.account_id, targets: [{ type: 'charge', id: charge.id }], outcome,
    metadata: { livemode: charge.livemode, ...metadata },
  };
}
