// Audit actions of key management and the one record shape: the actor is the person the caller names
// (a dashboard user, or an operator at the CLI), the origin carries the calling service's certificate
// identity, and the metadata says what changed (kind, mode, hint, grace, block count), never a key.
import type { AuditRecord } from '#lib/audit/index.ts';

export const KEY_AUDIT = {
  created: 'api_key.create',
  rolled: 'api_key.roll',
  allowlistSet: 'api_key.set_ip_allowlist',
  revoked: 'api_key.revoke',
} as const;
export type KeyAuditAction = (typeof KEY_AUDIT)[keyof typeof KEY_AUDIT];

/** Who asks: the mTLS identity of the calling service and the person it acts for. */
export type KeyActor = { caller: string; actorId: string; requestId?: string; ip?: string };

export function keyAuditRecord(
  actor: KeyActor, action: KeyAuditAction, accountId: string, targets: AuditRecord['targets'], metadata: Record<string, unknown>,
): AuditRecord {
  return {
    // Operators act as staff; anyone reaching key management through the dashboard is a merchant's user.
    actor: { type: actor.caller === 'operator' ? 'staff' : 'user', id: actor.actorId },
    action, tenant: accountId, targets, outcome: { result: 'success' },
    origin: { certIdentity: actor.caller, ...(actor.ip ? { ip: actor.ip } : {}) },
    ...(actor.requestId ? { requestId: actor.requestId } : {}),
    metadata,
  };
}
