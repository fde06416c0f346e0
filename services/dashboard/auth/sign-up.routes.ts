// Sign-up and email verification pages.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import { clientOf } from '../sessions/client.ts';
import { auditContext } from '../web/audit-context.ts';
import { renderError } from '../web/error-pages.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { tooManyAttempts } from './answers.ts';
import type { SignInCompletion } from './complete-sign-in.ts';
import { MAX_EMAIL, normalizeEmail } from './email-address.ts';
import { MAX_SIGN_IN_PASSWORD } from './sign-in.service.ts';
import { MAX_BUSINESS_NAME, SIGNUP_LINK_HOURS, type SignUpService } from './sign-up.service.ts';

const BAD_LINK = 'This link is not valid any more: it was used already, it expired, or it was copied incompletely. Sign up again to get a new one.';

export async function signUpRoutes(app: FastifyInstance, deps: { signUp: SignUpService; profile: PolicyProfile; completion: SignInCompletion }) {
  const form = (data: Record<string, unknown>) => ({
    title: 'Create an account', errors: [], email: '', businessName: '',
    minLength: deps.profile.password.minLength, maxLength: deps.profile.password.maxLength, lettersAndDigits: deps.profile.password.lettersAndDigits,
    ...data,
  });

  app.get('/sign-up', async (request, reply) => {
    if (request.session) return reply.redirect('/', 303);
    return renderPage(request, reply, 'auth/sign-up', form({}));
  });

  app.post('/sign-up', async (request, reply) => {
    const fields = formFields(request.body, { email: MAX_EMAIL + 64, password: deps.profile.password.maxLength * 4, business_name: MAX_BUSINESS_NAME * 2, _csrf: 64 });
    const input = { email: normalizeEmail(fields.email), password: fields.password, businessName: fields.business_name.normalize('NFKC').trim() };
    const result = await deps.signUp.request(input, clientOf(request), auditContext(request));
    if (result.kind === 'invalid') return renderPage(request, reply, 'auth/sign-up', form({ email: input.email, businessName: input.businessName, errors: result.problems }), 400);
    if (result.kind === 'throttled') throw httpError(429, 'too_many_requests', tooManyAttempts(reply, result.retryAfterMs));
    return renderPage(request, reply, 'auth/check-email', {
      title: 'Check your email', expires: `${SIGNUP_LINK_HOURS} hours`,
      message: `We sent an email to ${input.email}. Open the link in it to confirm your address and create your account.`,
    });
  });

  app.get<{ Querystring: { token?: string } }>('/verify-email', async (request, reply) => {
    const signup = await deps.signUp.pending(request.query.token);
    if (!signup) return renderError(request, reply, 400, BAD_LINK);
    return renderPage(request, reply, 'auth/verify', { errors: [], token: request.query.token, email: signup.email, businessName: signup.business_name });
  });

  app.post('/verify-email', async (request, reply) => {
    const fields = formFields(request.body, { token: 64, password: MAX_SIGN_IN_PASSWORD, _csrf: 64 });
    const result = await deps.signUp.verify({ token: fields.token, password: fields.password }, clientOf(request), auditContext(request));
    switch (result.kind) {
      case 'created':
        return deps.completion.finishPasswordStep(request, reply, result.user, 'sign_up', '/');
      case 'invalid_link':
        return renderError(request, reply, 400, BAD_LINK);
      case 'taken':
        return renderError(request, reply, 409, 'This email address already has an account. Sign in, or reset your password if you forgot it.');
      case 'throttled':
        throw httpError(429, 'too_many_requests', tooManyAttempts(reply, result.retryAfterMs));
      case 'wrong_password': {
        const signup = await deps.signUp.pending(fields.token);
        if (!signup) return renderError(request, reply, 400, BAD_LINK);
        return renderPage(request, reply, 'auth/verify', {
          errors: ['That is not the password you chose at sign-up.'], token: fields.token, email: signup.email, businessName: signup.business_name,
        }, 401);
      }
    }
  });
}
