// Where a request came from, as the api's audit entries record it: one place for every route. The
// User-Agent goes as the client sent it; lib/audit bounds it (cut to 512 characters, or withheld when
// it holds a card number or a key), so a long or odd header never fails the change it would record.
import type { FastifyRequest } from 'fastify';
import type { RequestOrigin } from '../customers/customers.audit.ts';

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}
