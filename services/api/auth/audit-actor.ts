// Who an api audit entry names for a merchant's request. On the public API that is the secret key
// (its id, never the key). When a person acts through an internal caller (a dashboard user refunding
// on the payments pages), the entry names that person, and its metadata names the calling service.
import type { AuditRecord } from '#lib/audit/index.ts';
import type { Merchant } from './secret-key.auth.ts';

export function auditActorOf(merchant: Merchant): AuditRecord['actor'] {
  return merchant.actor ?? { type: 'api_key', id: merchant.keyId };
}

/** `{ caller }` for an entry made on a person's behalf by an internal caller; nothing for a key's own request. */
export function auditCallerOf(merchant: Merchant): { caller?: string } {
  return merchant.actor ? { caller: merchant.keyId } : {};
}
