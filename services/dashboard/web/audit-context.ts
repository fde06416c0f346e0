// Who did it and from where, as every dashboard audit entry records it.
import type { FastifyRequest } from 'fastify';
import type { AuditRecord } from '#lib/audit/index.ts';

export type AuditContext = {
  actor: AuditRecord['actor'];
  origin: { ip?: string; userAgent?: string };
  requestId?: string;
};

const SYSTEM = { type: 'system', id: 'dashboard' } as const;

/** The signed-in user (with their session) or, before sign-in, the anonymous visitor. */
export function auditContext(request: FastifyRequest, actor?: AuditRecord['actor']): AuditContext {
  const agent = request.headers['user-agent'];
  const session = request.session;
  return {
    actor: actor ?? (session ? { type: 'user', id: session.userId, sessionId: session.id } : { type: 'system', id: 'anonymous' }),
    origin: { ip: request.ip, userAgent: agent ? agent.slice(0, 512) : undefined },
    requestId: String(request.id),
  };
}

/** For what the service does on its own (timeouts, retention). */
export function systemContext(id = SYSTEM.id): AuditContext {
  return { actor: { type: 'system', id }, origin: {} };
}
