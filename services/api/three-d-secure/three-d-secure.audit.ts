// Audit entries of the payer's 3-D Secure page. The payer has no key and no account: the actor is
// `user` "payer" (the audit schema's closest kind), with the browser's IP and user agent as origin.
// Entries never hold the page id (it is a credential).
import type { AuditRecord } from '#lib/audit/index.ts';
import type { ChargeRow } from '../charges/charges.store.ts';
import type { RequestOrigin } from '../customers/customers.service.ts';

/** The payer finished 3-D Secure (success), or a POST to the page was refused (failure, with why). */
export const PAYER_COMPLETE = 'charge.complete';

export function payerEntry(charge: Pick<ChargeRow, 'id' | 'account_id' | 'livemode'>, origin: RequestOrigin, outcome: AuditRecord['outcome'],
  metadata: Record<string, unknown> = {}): AuditRecord {
  return {
    actor: { type: 'user', id: 'payer', display: 'payer on the 3-D Secure page' },
    action: PAYER_COMPLETE, tenant: charge.account_id, targets: [{ type: 'charge', id: charge.id }], outcome,
    origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
    metadata: { livemode: charge.livemode, ...metadata },
  };
}
