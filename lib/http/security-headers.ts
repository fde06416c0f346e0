import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";
export const MIN_HSTS_SECONDS = 31_536_000;

/**
 * Security headers on every response, set before routing so 404s and errors carry them too.
 * A route overrides one by setting it again (`reply.header('content-security-policy', …)` for a page,
 * `reply.header('cache-control', 'public, max-age=300')` for a static asset).
 */
export function installSecurityHeaders(app: FastifyInstance, options: { readonly hstsMaxAgeSeconds: number }): (request: FastifyRequest, reply: FastifyReply) => void {
  if (!Number.isInteger(options.hstsMaxAgeSeconds) || options.hstsMaxAgeSeconds < MIN_HSTS_SECONDS) {
    throw new RangeError(`hstsMaxAgeSeconds must be at least ${MIN_HSTS_SECONDS} (one year)`);
  }
  const headers: Readonly<Record<string, string>> = {
    'strict-transport-security': `max-age=${options.hstsMaxAgeSeconds}; includeSubDomains`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': DEFAULT_CSP,
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-permitted-cross-domain-policies': 'none',
  };
  const apply = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
  };
  app.addHook('onRequest', async (request, reply) => apply(request, reply));
  // Returned for the answers Fastify gives before any hook runs (malformed URLs: https-app.ts).
  return apply;
}
