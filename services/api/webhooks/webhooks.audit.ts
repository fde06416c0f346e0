// Audit actions for webhook endpoints, and their record: actor the API key, tenant the merchant,
// written in the transaction of the change. The endpoint's host is recorded, never its full URL (a
// query string may carry the merchant's own tokens) and never its secret.
import type { AuditRecord } from '#lib/audit/index.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { auditActorOf, auditCallerOf } from '../auth/audit-actor.ts';
import type { RequestOrigin } from '../customers/customers.audit.ts';

export const WEBHOOK_AUDIT = {
  endpointSet: 'webhook_endpoint.set',
  endpointRemoved: 'webhook_endpoint.remove',
} as const;
type WebhookAuditAction = (typeof WEBHOOK_AUDIT)[keyof typeof WEBHOOK_AUDIT];

export function webhookAuditRecord(merchant: Merchant, action: WebhookAuditAction, origin: RequestOrigin, metadata: Record<string, unknown>): AuditRecord {
  return {
    actor: auditActorOf(merchant), action, tenant: merchant.accountId,
    targets: [{ type: 'account', id: merchant.accountId }], outcome: { result: 'success' },
    origin: { ip: origin.ip, userAgent: origin.userAgent }, requestId: origin.requestId,
    metadata: { livemode: merchant.livemode, ...auditCallerOf(merchant), ...metadata },
  };
}
