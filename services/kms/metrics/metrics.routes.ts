// GET /metrics (Prometheus text) on the mTLS listener, for operators' scrapers and the other services.
import type { FastifyInstance } from 'fastify';
import type { KmsMetrics } from './kms-metrics.ts';

export async function metricsRoutes(app: FastifyInstance, opts: { metrics: KmsMetrics }) {
  app.get('/metrics', { logLevel: 'warn', config: { allowedCallers: ['*'] } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4').send(opts.metrics.prometheus()));
}
