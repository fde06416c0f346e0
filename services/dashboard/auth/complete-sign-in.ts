// The last steps of every way in: run the afterPassword seam, then (when it says "complete")
// start a fresh session, set its cookie and go where the user was heading. mfa/ calls
// `completeSignIn` itself once the second factor is verified, with that factor.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionFactor } from '../db.ts';
import { clientOf } from '../sessions/client.ts';
import { setSessionCookie } from '../sessions/cookie.ts';
import { safeNext } from '../sessions/session.plugin.ts';
import { auditContext } from '../web/audit-context.ts';
import type { AfterPassword, AfterPasswordPurpose, PasswordVerifiedUser } from './after-password.ts';
import type { SignInService } from './sign-in.service.ts';

export type SignInCompletion = {
  completeSignIn(request: FastifyRequest, reply: FastifyReply, input: { user: PasswordVerifiedUser; factor: SessionFactor; mfaVerifiedAt: Date | null; next: string }): Promise<FastifyReply>;
  finishPasswordStep(request: FastifyRequest, reply: FastifyReply, user: PasswordVerifiedUser, purpose: AfterPasswordPurpose, next: string): Promise<FastifyReply>;
};

export function createSignInCompletion(deps: { signIn: SignInService; afterPassword: AfterPassword }): SignInCompletion {
  async function completeSignIn(request: FastifyRequest, reply: FastifyReply, input: { user: PasswordVerifiedUser; factor: SessionFactor; mfaVerifiedAt: Date | null; next: string }) {
    const session = await deps.signIn.complete({
      user: input.user, factor: input.factor, mfaVerifiedAt: input.mfaVerifiedAt,
      client: clientOf(request), context: auditContext(request, { type: 'user', id: input.user.userId }),
    });
    setSessionCookie(reply, session.token);
    return reply.redirect(safeNext(input.next), 303);
  }
  return {
    completeSignIn,
    async finishPasswordStep(request, reply, user, purpose, next) {
      const outcome = await deps.afterPassword(user, { request, reply, purpose, next: safeNext(next) });
      if (outcome.kind === 'redirect') return reply.redirect(safeNext(outcome.location), 303);
      return completeSignIn(request, reply, { user, factor: 'password', mfaVerifiedAt: null, next });
    },
  };
}
