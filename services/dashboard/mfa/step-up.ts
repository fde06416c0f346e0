// `requireRecentMfa(maxAgeMinutes)`: the preHandler in front of sensitive actions (DESIGN.md). The
// session passes when it proved its user within the last `maxAgeMinutes` (`mfaVerifiedAt`: set at a
// sign-in with a second factor and at every step-up). Otherwise a page visit goes to the step-up
// page and comes back to itself; a form post (which cannot be replayed) goes to the step-up page and
// back to the page it was posted from, to submit again. Signed out: to sign-in, as requireSession.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { requireSession, safeNext } from '../sessions/session.plugin.ts';

/** Default freshness for team, key, refund and MFA changes. */
export const STEP_UP_MINUTES = 10;
export const STEP_UP_PATH = '/step-up';

/** The same-site path a form was posted from (Referer: pages send `same-origin`), else the overview. */
function postedFrom(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return '/';
  try {
    const url = new URL(referer);
    return url.host === request.host && url.protocol === 'https:' ? safeNext(url.pathname + url.search) : '/';
  } catch {
    return '/';
  }
}

export function isFresh(mfaVerifiedAt: Date | null, maxAgeMinutes: number, now: Date): boolean {
  if (mfaVerifiedAt === null) return false;
  const age = now.getTime() - mfaVerifiedAt.getTime();
  return age >= -60_000 && age <= maxAgeMinutes * 60_000;
}

export function stepUpLocation(next: string): string {
  return `${STEP_UP_PATH}?next=${encodeURIComponent(safeNext(next))}`;
}

export function requireRecentMfa(maxAgeMinutes: number, now: () => Date = () => new Date()): preHandlerAsyncHookHandler {
  if (!Number.isFinite(maxAgeMinutes) || maxAgeMinutes <= 0) throw new Error('requireRecentMfa: maxAgeMinutes must be positive');
  return async function stepUp(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.session === null) {
      await requireSession(request, reply);
      return reply;
    }
    if (isFresh(request.session.mfaVerifiedAt, maxAgeMinutes, now())) return undefined;
    const back = request.method === 'GET' || request.method === 'HEAD' ? request.url : postedFrom(request);
    return reply.header('cache-control', 'no-store').redirect(stepUpLocation(back), 303);
  };
}
