// Refused callers (no client certificate, unknown CA, identity not on a route's list) are audited.
import type { Logger } from 'pino';
import type { Audit } from '#lib/audit/index.ts';

export type Denial = { caller: string | null; route?: string; reason: string; ip?: string; requestId?: string };

export function auditDenials(audit: Audit, service: string, logger: Logger) {
  return (denial: Denial) => {
    audit.recordStandalone({
      actor: denial.caller ? { type: 'service', id: denial.caller } : { type: 'system', id: 'unauthenticated' },
      action: 'access.denied',
      tenant: null,
      targets: [{ type: 'route', id: denial.route ?? `${service}:tls-handshake` }],
      outcome: { result: 'failure', reason: denial.reason.slice(0, 200) },
      origin: { ip: denial.ip, certIdentity: denial.caller ?? undefined },
      requestId: denial.requestId,
    }).catch((error: unknown) => logger.error({ err: error, route: denial.route }, 'could not audit a denial'));
  };
}
