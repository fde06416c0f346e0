// Sign-in and sign-out pages. One message for every wrong email/password combination.
import type { FastifyInstance } from 'fastify';
import { clientOf } from '../sessions/client.ts';
import { clearSessionCookie } from '../sessions/cookie.ts';
import { requireSession, safeNext } from '../sessions/session.plugin.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { tooManyAttempts } from './answers.ts';
import type { SignInCompletion } from './complete-sign-in.ts';
import { MAX_EMAIL, normalizeEmail } from './email-address.ts';
import { MAX_SIGN_IN_PASSWORD, type SignInService } from './sign-in.service.ts';

export const WRONG_CREDENTIALS = 'The email address or password is not right.';

const NOTICES: Readonly<Record<string, string>> = {
  'signed-out': 'You have signed out.',
  'password-changed': 'Your password was changed. Sign in with the new one.',
  // mfa/: a second step that expired, or was finished in another tab.
  'mfa-expired': 'That sign-in expired or was already finished. Sign in again.',
};

type Query = { Querystring: { next?: string; notice?: string } };

export async function signInRoutes(app: FastifyInstance, deps: { signIn: SignInService; sessions: SessionService; completion: SignInCompletion }) {
  const page = (data: Record<string, unknown>) => ({ title: 'Sign in', errors: [], email: '', next: '/', notice: null, ...data });

  app.get<Query>('/sign-in', async (request, reply) => {
    const next = safeNext(request.query.next);
    if (request.session) return reply.redirect(next, 303);
    const notice = typeof request.query.notice === 'string' ? NOTICES[request.query.notice] ?? null : null;
    return renderPage(request, reply, 'auth/sign-in', page({ next, notice }));
  });

  app.post('/sign-in', async (request, reply) => {
    const fields = formFields(request.body, { email: MAX_EMAIL + 64, password: MAX_SIGN_IN_PASSWORD, next: 512, _csrf: 64 });
    const email = normalizeEmail(fields.email);
    const next = safeNext(fields.next);
    const result = await deps.signIn.checkPassword({ email, password: fields.password }, clientOf(request), auditContext(request));
    switch (result.kind) {
      case 'ok':
        return deps.completion.finishPasswordStep(request, reply, result.user, 'sign_in', next);
      case 'throttled':
        return renderPage(request, reply, 'auth/sign-in', page({ email, next, errors: [tooManyAttempts(reply, result.retryAfterMs)] }), 429);
      case 'failed':
        return renderPage(request, reply, 'auth/sign-in', page({ email, next, errors: [WRONG_CREDENTIALS] }), 401);
      case 'unverified':
        return renderPage(request, reply, 'auth/sign-in', page({ email, next, errors: ['Confirm your email address first, with the link we emailed you.'] }), 403);
      case 'no_account':
        return renderPage(request, reply, 'auth/sign-in', page({ email, next, errors: ['You are not a member of any account any more. Ask an account owner for an invitation.'] }), 403);
    }
  });

  app.post('/sign-out', { preHandler: requireSession }, async (request, reply) => {
    await deps.sessions.signOut(request.session!, auditContext(request));
    clearSessionCookie(reply);
    return reply.redirect('/sign-in?notice=signed-out', 303);
  });
}
