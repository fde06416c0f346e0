// Registers what `requirePermission` needs on an app: the audit write for each refusal
// (`dashboard.access.denied`, committed before the 403 is sent). A plain call on the page scope (not
// an encapsulated plugin), so every route in that scope and its children sees the decoration.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import { DENIAL_RECORDER, DENIED_ACTION, type DenialRecorder, type Permission, type PermissionSession } from './permissions.ts';

/** Origin fields every dashboard audit entry carries. */
export function requestOrigin(request: FastifyRequest): { ip: string; userAgent?: string; requestId: string } {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: agent ? agent.slice(0, 512) : undefined, requestId: String(request.id) };
}

export function registerAccessControl(app: FastifyInstance, deps: { audit: Pick<Audit, 'recordStandalone'> }): void {
  const record: DenialRecorder = async (request: FastifyRequest, permission: Permission, session: PermissionSession) => {
    const origin = requestOrigin(request);
    const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`;
    try {
      await deps.audit.recordStandalone({
        actor: { type: 'user', id: session.userId, sessionId: session.id },
        action: DENIED_ACTION,
        tenant: session.accountId,
        targets: [{ type: 'route', id: route.slice(0, 200) }],
        outcome: { result: 'failure', reason: `missing permission ${permission}` },
        origin: { ip: origin.ip, userAgent: origin.userAgent },
        requestId: origin.requestId,
        metadata: { permission },
      });
    } catch (error) {
      // The refusal stands either way; a lost entry is an operator's problem, so it is logged loudly.
      request.log.error({ err: error, permission }, 'could not audit an access denial');
    }
  };
  app.decorate(DENIAL_RECORDER, record);
}
