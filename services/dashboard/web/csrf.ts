// CSRF protection for every state-changing request, on top of SameSite=Strict cookies:
// 1. Origin (and Sec-Fetch-Site, when the browser sends it) must be this site.
// 2. The form's `_csrf` field must equal the synchronizer token: the session's own (stored with it)
//    when signed in, else a pre-session token in its own `__Host-` cookie (sign-in, sign-up, reset
//    forms), so a login form cannot be posted from elsewhere either.
// A route opts out with `config: { csrf: false }` (only the catch-all 404, which changes nothing).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { newToken, sameToken } from '../sessions/tokens.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route needs no CSRF check (it changes nothing). */
    csrf?: boolean;
  }
}

export const CSRF_FIELD = '_csrf';
export const CSRF_COOKIE = '__Host-strongroom_csrf';
const COOKIE = { secure: true, httpOnly: true, sameSite: 'strict', path: '/' } as const;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token to put in this page's forms (creating the pre-session cookie when needed). */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string {
  if (request.session) return request.session.csrfToken;
  const existing = request.cookies[CSRF_COOKIE];
  if (existing !== undefined && sameToken(existing, existing)) return existing;
  const token = newToken();
  reply.setCookie(CSRF_COOKIE, token, COOKIE);
  return token;
}

function sameOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  const origin = request.headers.origin;
  return origin === undefined || origin === `https://${request.host}`;
}

export function registerCsrf(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    if (SAFE.has(request.method) || request.routeOptions.config.csrf === false) return;
    const sent = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    const expected = request.session ? request.session.csrfToken : request.cookies[CSRF_COOKIE];
    if (!sameOrigin(request) || !sameToken(sent, expected)) {
      request.log.warn({ reason: sameOrigin(request) ? 'csrf_token' : 'cross_origin' }, 'state-changing request refused');
      throw httpError(403, 'forbidden', 'This form has expired or did not come from this site. Go back, reload the page and try again.');
    }
  });
}
