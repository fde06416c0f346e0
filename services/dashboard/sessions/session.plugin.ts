// `request.session` on every dashboard request: the cookie's session, resolved (timeouts, roles,
// last seen) before any route runs; null when signed out. `requireSession` guards the pages that
// need only a signed-in user (their own sessions and login history).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clearSessionCookie, SESSION_COOKIE } from './cookie.ts';
import type { Session, SessionService } from './sessions.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session (sessions/), or null. */
    session: Session | null;
  }
}

export function registerSessions(app: FastifyInstance, deps: { sessions: SessionService }): void {
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (request, reply) => {
    const cookieValue = request.cookies[SESSION_COOKIE];
    if (cookieValue === undefined) return;
    request.session = await deps.sessions.resolve(cookieValue);
    // An ended, expired or malformed session: the browser stops sending it.
    if (request.session === null) clearSessionCookie(reply);
  });
}

/** Only same-site paths, so `next` can never make sign-in an open redirect. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || value.length > 512) return '/';
  return /^[\x21-\x7e]+$/.test(value) ? value : '/';
}

/** preHandler: signed-in users only; a page visit is sent to sign in and back, anything else is refused. */
export async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.session !== null) return;
  if (request.method === 'GET' || request.method === 'HEAD') {
    await reply.redirect(`/sign-in?next=${encodeURIComponent(safeNext(request.url))}`, 303);
    return;
  }
  await reply.redirect('/sign-in', 303);
}
