// The overview page: who is signed in, in which account, with which roles.
import type { FastifyInstance } from 'fastify';
import { requireSession } from '../sessions/session.plugin.ts';
import { renderPage } from './views.ts';

export async function homeRoutes(app: FastifyInstance) {
  app.get('/', { preHandler: requireSession }, async (request, reply) => {
    const session = request.session!;
    return renderPage(request, reply, 'home', { title: 'Overview', createdAt: session.createdAt, factor: session.factor });
  });
}
