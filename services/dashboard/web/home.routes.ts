// The overview page: who is signed in, in which account, with which roles.
import type { FastifyInstance } from 'fastify';
import { renderPage } from './views.ts';

export async function homeRoutes(app: FastifyInstance) {
  // Signed out, the root answers 200 with a page that links to sign-in (never a redirect loop for
  // health probes and link checkers); every other page still redirects to sign-in.
  app.get('/', async (request, reply) => {
    const session = request.session;
    if (session === null) return renderPage(request, reply, 'welcome', { title: 'Strongroom dashboard' });
    return renderPage(request, reply, 'home', { title: 'Overview', createdAt: session.createdAt, factor: session.factor });
  });
}
