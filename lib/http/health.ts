import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.ts';

const READY_TIMEOUT_MS = 2_000;

/**
 * GET /healthz: 200 {"status":"ok"} when `ready()` resolves true within 2 s, otherwise 503 in the
 * error shape. On mTLS apps pass `allowedCallers` (['*'] = any verified internal identity).
 */
export function registerHealth(
  app: FastifyInstance,
  options: { readonly ready: () => Promise<boolean>; readonly allowedCallers?: readonly string[] },
): void {
  app.get(
    '/healthz',
    {
      // Probes arrive every few seconds; only failures are worth a log line.
      logLevel: 'warn',
      ...(options.allowedCallers !== undefined ? { config: { allowedCallers: options.allowedCallers } } : {}),
    },
    async (request, reply) => {
      let ready = false;
      let timer: NodeJS.Timeout | undefined;
      try {
        ready = await Promise.race([
          options.ready(),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
          }),
        ]);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
      } finally {
        clearTimeout(timer);
      }
      if (ready === true) return { status: 'ok' };
      request.log.warn('not ready');
      return reply.code(503).send(errorBody('service_unavailable', 'service is not ready'));
    },
  );
}
