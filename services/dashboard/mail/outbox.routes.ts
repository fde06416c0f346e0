// /dev/outbox: the emails the dashboard "sent" without SMTP, newest first. Registered only outside
// production (server.ts), where the outbox is the mail transport; it holds live single-use links.
import type { FastifyInstance } from 'fastify';
import { renderPage } from '../web/views.ts';
import type { createOutboxReader } from './outbox.transport.ts';

export async function outboxRoutes(app: FastifyInstance, deps: { outbox: ReturnType<typeof createOutboxReader> }) {
  app.get('/dev/outbox', async (request, reply) =>
    renderPage(request, reply, 'mail/outbox', { title: 'Development outbox', mails: await deps.outbox.latest(50) }));
}
