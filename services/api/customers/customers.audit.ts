// Audit actions for customers and their cards (named after the Omise event keys), and the one record
// shape: actor the API key, tenant the merchant, written in the transaction of the change.
import type { AuditRecord } from '#lib/audit/index.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { auditActorOf, auditCallerOf } from '../auth/audit-actor.ts';

export const CUSTOMER_AUDIT = {
  created: 'customer.create',
  updated: 'customer.update',
  destroyed: 'customer.destroy',
  cardUpdated: 'card.update',
  cardDestroyed: 'card.destroy',
} as const;
export type CustomerAuditAction = (typeof CUSTOMER_AUDIT)[keyof typeof CUSTOMER_AUDIT];

export type RequestOrigin = { ip: string; userAgent?: string; requestId: string };

export function customerAuditRecord(
  merchant: Merchant, action: CustomerAuditAction, targets: AuditRecord['targets'], origin: RequestOrigin,
  metadata: Record<string, unknown> = {},
): AuditRecord {
  return {
    actor: auditActorOf(merchant), action, tenant: merchant.accountId, targets,
    outcome: { result: 'success' }, origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
    metadata: { ...auditCallerOf(merchant), ...metadata },
  };
}
