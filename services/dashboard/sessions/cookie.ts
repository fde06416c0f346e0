// The session cookie: `__Host-` (Secure, Path=/, no Domain: no subdomain can set or read it),
// HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it). No Max-Age:
// the browser forgets it when it closes; the server enforces the idle and absolute timeouts.
import type { FastifyReply } from 'fastify';

export const SESSION_COOKIE = '__Host-strongroom_session';
export const COOKIE_OPTIONS = { secure: true, httpOnly: true, sameSite: 'strict', path: '/' } as const;

export function setSessionCookie(reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, COOKIE_OPTIONS);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
}
