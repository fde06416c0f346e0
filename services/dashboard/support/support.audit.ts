// The support actions in the audit trail, and the entry shape: tenant = the request's account; a
// member acts with their session, the desk as `staff` with the name it gave. Never a code or a text.
import type { AuditRecord } from '#lib/audit/index.ts';
import type { AuditContext } from '../web/audit-context.ts';

export const SUPPORT_AUDIT = {
  created: 'support.request.create',
  received: 'support.request.inbound',
  verified: 'support.request.verify',
  rejected: 'support.request.reject',
  staffView: 'support.request.staff_view',
  replied: 'support.request.reply',
  codeIssued: 'support.code.issue',
} as const;

/** A signed-in member (the session's account). */
export type SupportMember = AuditContext & { userId: string; accountId: string; email: string };
/** Someone at the support desk, by the name they gave. */
export type SupportStaff = { name: string };

export function supportEntry(
  who: SupportMember | SupportStaff, action: string, accountId: string, requestId: string | null,
  outcome: AuditRecord['outcome'] = { result: 'success' }, metadata: Record<string, unknown> = {},
): AuditRecord {
  const targets = requestId === null ? [] : [{ type: 'support_request', id: requestId }];
  if ('name' in who) return { actor: { type: 'staff', id: who.name }, action, tenant: accountId, targets, outcome, metadata };
  return { actor: who.actor, origin: who.origin, requestId: who.requestId, action, tenant: accountId, targets, outcome, metadata };
}
