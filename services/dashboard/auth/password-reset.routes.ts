// Password reset pages: ask for a link, then choose a new password through it.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import { clientOf } from '../sessions/client.ts';
import { auditContext } from '../web/audit-context.ts';
import { renderError } from '../web/error-pages.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { MfaEnrolled } from './after-password.ts';
import { tooManyAttempts } from './answers.ts';
import type { SignInCompletion } from './complete-sign-in.ts';
import { MAX_EMAIL, normalizeEmail } from './email-address.ts';
import { minimumLength } from './password-policy.ts';
import { RESET_LINK_MINUTES, type PasswordResetService } from './password-reset.service.ts';

const BAD_LINK = 'This reset link is not valid any more: it was used already, it expired, or a newer one replaced it. Ask for a new one.';

type Deps = { resets: PasswordResetService; profile: PolicyProfile; mfaEnrolled: MfaEnrolled; completion: SignInCompletion };

export async function passwordResetRoutes(app: FastifyInstance, deps: Deps) {
  const chooser = async (userId: string, data: Record<string, unknown>) => ({
    errors: [], minLength: minimumLength(deps.profile, await deps.mfaEnrolled(userId)), maxLength: deps.profile.password.maxLength,
    lettersAndDigits: deps.profile.password.lettersAndDigits, ...data,
  });

  app.get('/password-reset', async (request, reply) =>
    renderPage(request, reply, 'auth/reset-request', { errors: [] }));

  app.post('/password-reset', async (request, reply) => {
    const fields = formFields(request.body, { email: MAX_EMAIL + 64, _csrf: 64 });
    const email = normalizeEmail(fields.email);
    const result = await deps.resets.request(email, clientOf(request), auditContext(request));
    if (result.kind === 'invalid') return renderPage(request, reply, 'auth/reset-request', { errors: result.problems }, 400);
    if (result.kind === 'throttled') throw httpError(429, 'too_many_requests', tooManyAttempts(reply, result.retryAfterMs));
    return renderPage(request, reply, 'auth/check-email', {
      title: 'Check your email', expires: `${RESET_LINK_MINUTES} minutes`,
      message: `If ${email} has a Strongroom account, we sent it a link to choose a new password.`,
    });
  });

  app.get<{ Querystring: { token?: string } }>('/password-reset/choose', async (request, reply) => {
    const reset = await deps.resets.pending(request.query.token);
    if (!reset) return renderError(request, reply, 400, BAD_LINK);
    return renderPage(request, reply, 'auth/reset-choose', await chooser(reset.user_id, { token: request.query.token }));
  });

  app.post('/password-reset/choose', async (request, reply) => {
    const fields = formFields(request.body, { token: 64, password: deps.profile.password.maxLength * 4, _csrf: 64 });
    const result = await deps.resets.choose({ token: fields.token, password: fields.password }, clientOf(request), auditContext(request));
    if (result.kind === 'invalid_link') return renderError(request, reply, 400, BAD_LINK);
    if (result.kind === 'invalid') {
      const reset = await deps.resets.pending(fields.token);
      if (!reset) return renderError(request, reply, 400, BAD_LINK);
      return renderPage(request, reply, 'auth/reset-choose', await chooser(reset.user_id, { token: fields.token, errors: result.problems }), 400);
    }
    if (result.user === null) return reply.redirect('/sign-in?notice=password-changed', 303);
    return deps.completion.finishPasswordStep(request, reply, result.user, 'password_reset', '/');
  });
}
