// Page rendering: Eta templates (web/views, auto-escaped: `<%= %>` escapes, `<%~ %>` is only used
// for the layout's body), one layout, the page CSP, no-store, and the form token every page's
// forms carry. Routes render through `renderPage`, never `reply.view` directly.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyView from '@fastify/view';
import fastifyStatic from '@fastify/static';
import { Eta } from 'eta';
import { PAGE_CSP } from './csp.ts';
import { csrfTokenFor } from './csrf.ts';
import { formatTime } from './format.ts';

export const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

export async function registerViews(app: FastifyInstance): Promise<void> {
  // `production: true` only means "cache compiled templates"; templates never change at run time.
  await app.register(fastifyView, { engine: { eta: new Eta({ autoEscape: true, cache: true }) }, root: VIEWS_DIR, production: true });
  await app.register(fastifyStatic, {
    root: ASSETS_DIR, prefix: '/assets/', index: false, list: false, dotfiles: 'deny', serveDotFiles: false,
    cacheControl: true, maxAge: '5m', decorateReply: false, wildcard: false,
  });
}

/** What every page gets besides its own data: who is signed in, and the form token. */
function pageContext(request: FastifyRequest, reply: FastifyReply) {
  const session = request.session;
  return {
    csrf: csrfTokenFor(request, reply),
    // `can(p)`: whether the session holds permission p (the layout shows links only to pages it may open).
    me: session ? { email: session.email, accountId: session.accountId, roles: session.roles, can: (p: string) => (session.permissions as ReadonlySet<string>).has(p) } : null,
    path: request.url.split('?', 1)[0],
    when: formatTime,
  };
}

export async function renderPage(request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown> = {}, status = 200): Promise<FastifyReply> {
  const html = await reply.viewAsync(view, { ...data, ...pageContext(request, reply) });
  return reply.code(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    // Not no-referrer: with it browsers send `Origin: null` on form posts, and the CSRF check needs
    // the real origin. same-origin still sends nothing (no link token, no path) to any other site.
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(html);
}
