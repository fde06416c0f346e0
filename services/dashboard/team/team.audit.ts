// Audit actions of team changes and the one record shape: actor the signed-in user (and session),
// tenant the account, written in the transaction of the change. Refusals (403, and 409 for the last
// Owner) are recorded too, on their own, as failures.
import type { AuditRecord } from '#lib/audit/index.ts';

export const TEAM_AUDIT = {
  invitationCreated: 'team.invitation.create',
  invitationRevoked: 'team.invitation.revoke',
  invitationAccepted: 'team.invitation.accept',
  memberRolesChanged: 'team.member.roles_update',
  memberRemoved: 'team.member.remove',
  roleCreated: 'team.role.create',
  roleUpdated: 'team.role.update',
  roleDeleted: 'team.role.delete',
} as const;
export type TeamAuditAction = (typeof TEAM_AUDIT)[keyof typeof TEAM_AUDIT];

export type RequestOrigin = { ip: string; userAgent?: string; requestId: string };

/** Who is acting: the signed-in user, in the account of their session. */
export type TeamActor = { userId: string; accountId: string; sessionId?: string; origin: RequestOrigin };

export function teamAuditRecord(
  actor: TeamActor, action: TeamAuditAction, targets: AuditRecord['targets'],
  metadata: Record<string, unknown> = {}, outcome: AuditRecord['outcome'] = { result: 'success' },
): AuditRecord {
  return {
    actor: { type: 'user', id: actor.userId, ...(actor.sessionId ? { sessionId: actor.sessionId } : {}) },
    action, tenant: actor.accountId, targets, outcome,
    origin: { ip: actor.origin.ip, userAgent: actor.origin.userAgent }, requestId: actor.origin.requestId, metadata,
  };
}
