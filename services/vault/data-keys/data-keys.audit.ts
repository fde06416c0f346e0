// Audit actions of the vault's key layer. Entries name DEK ids, KMS key ids, KEK versions and counts:
// never a DEK (plain or wrapped) or anything derived from one.
import type { AuditRecord } from '#lib/audit/index.ts';

export const DATA_KEY_AUDIT_ACTIONS = {
  create: 'vault.data_key.create',
  rewrapProgress: 'vault.data_key.rewrap_progress',
  rewrapComplete: 'vault.data_key.rewrap_complete',
} as const;

export type DataKeyAuditAction = (typeof DATA_KEY_AUDIT_ACTIONS)[keyof typeof DATA_KEY_AUDIT_ACTIONS];

/** A platform event (no merchant tenant) by the vault itself. */
export function dataKeyEntry(
  action: DataKeyAuditAction,
  targets: AuditRecord['targets'],
  metadata: Record<string, string | number>,
): AuditRecord {
  return {
    actor: { type: 'system', id: 'vault' },
    action,
    targets,
    tenant: null,
    outcome: { result: 'success' },
    metadata,
  };
}
