// The signed-in user's own profile (/profile): change the password, change the sign-in email. Every
// route needs profile.manage (a baseline permission of every role); the two changes also need a
// fresh step-up (mfa/ `requireRecentMfa`) AND the current password. The email link's page and its
// confirmation need the user who asked, signed in (no step-up: the link proves the new mailbox).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tooManyAttempts } from '../auth/answers.ts';
import type { MfaEnrolled } from '../auth/after-password.ts';
import { MAX_EMAIL } from '../auth/email-address.ts';
import { minimumLength } from '../auth/password-policy.ts';
import { MAX_SIGN_IN_PASSWORD } from '../auth/sign-in.service.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import { setSessionCookie } from '../sessions/cookie.ts';
import { requirePermission } from '../team/permissions.ts';
import type { StepUp } from '../team/team-pages.ts';
import { auditContext } from '../web/audit-context.ts';
import { renderError } from '../web/error-pages.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { EmailChangeService } from './email-change.service.ts';
import { EMAIL_CHANGE_HOURS } from './email-change.service.ts';
import type { ProfilePasswordService } from './password.service.ts';

const NOTICES: Readonly<Record<string, string>> = {
  'password-changed': 'Your password was changed. Every other session of yours was signed out.',
  'email-sent': `We sent a confirmation link to the new address. Open it within ${EMAIL_CHANGE_HOURS} hours, signed in here. Your old address was told.`,
  'email-changed': 'Your sign-in email was changed. Every other session of yours was signed out.',
};
const WRONG_CURRENT = 'Your current password is not right.';
const BAD_LINK = 'This link is not valid for this sign-in: it was used already, it expired, a newer one replaced it, or it belongs to another user. Sign in as the user who asked, or ask again from your profile.';
const TAKEN = 'That email address is used by another Strongroom sign-in. Choose another one.';

export type ProfileRouteDeps = {
  passwords: ProfilePasswordService;
  emails: EmailChangeService;
  profile: PolicyProfile;
  mfaEnrolled: MfaEnrolled;
  stepUp: StepUp;
};

type Form = 'password' | 'email';

export async function profileRoutes(app: FastifyInstance, deps: ProfileRouteDeps) {
  const own = { preHandler: requirePermission('profile.manage') };
  const change = { preHandler: [requirePermission('profile.manage'), deps.stepUp] };

  async function page(request: FastifyRequest, reply: FastifyReply, extra: { notice?: string | null; errors?: string[]; form?: Form; email?: string } = {}, status = 200) {
    const session = request.session!;
    const [pending, enrolled] = await Promise.all([deps.emails.pending(session.userId), deps.mfaEnrolled(session.userId)]);
    return renderPage(request, reply, 'profile/profile', {
      title: 'Your profile', email: session.email, pending, notice: extra.notice ?? null, errors: extra.errors ?? [], form: extra.form ?? null,
      newEmail: extra.email ?? '', minLength: minimumLength(deps.profile, enrolled), maxLength: deps.profile.password.maxLength,
      lettersAndDigits: deps.profile.password.lettersAndDigits,
    }, status);
  }

  /** The answers both changes share when the current password is refused. */
  function refusedCurrent(request: FastifyRequest, reply: FastifyReply, form: Form, result: { kind: 'wrong_password' } | { kind: 'throttled'; retryAfterMs: number }, email = '') {
    if (result.kind === 'throttled') return page(request, reply, { form, email, errors: [tooManyAttempts(reply, result.retryAfterMs)] }, 429);
    return page(request, reply, { form, email, errors: [WRONG_CURRENT] }, 400);
  }

  app.get<{ Querystring: { notice?: string } }>('/profile', own, async (request, reply) => {
    const key = request.query.notice;
    return page(request, reply, { notice: typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key] : null });
  });

  app.post('/profile/password', change, async (request, reply) => {
    const fields = formFields(request.body, { current_password: MAX_SIGN_IN_PASSWORD, password: deps.profile.password.maxLength * 4, _csrf: 64 });
    const result = await deps.passwords.change(request.session!, { current: fields.current_password, password: fields.password }, auditContext(request));
    switch (result.kind) {
      case 'changed':
        setSessionCookie(reply, result.token);
        return reply.redirect('/profile?notice=password-changed', 303);
      case 'invalid':
        return page(request, reply, { form: 'password', errors: result.problems }, 400);
      case 'ended':
        return reply.redirect('/sign-in', 303);
      default:
        return refusedCurrent(request, reply, 'password', result);
    }
  });

  app.post('/profile/email', change, async (request, reply) => {
    const fields = formFields(request.body, { email: MAX_EMAIL + 64, current_password: MAX_SIGN_IN_PASSWORD, _csrf: 64 });
    const result = await deps.emails.request(request.session!, { current: fields.current_password, email: fields.email }, auditContext(request));
    switch (result.kind) {
      case 'sent':
        return reply.redirect('/profile?notice=email-sent', 303);
      case 'invalid':
        return page(request, reply, { form: 'email', email: fields.email, errors: result.problems }, 400);
      case 'taken':
        return page(request, reply, { form: 'email', email: fields.email, errors: [TAKEN] }, 409);
      default:
        return refusedCurrent(request, reply, 'email', result, fields.email);
    }
  });

  // The link from the email: shows what it will do; the POST does it (a GET never changes anything).
  app.get<{ Querystring: { token?: string } }>('/profile/email/confirm', own, async (request, reply) => {
    const change = await deps.emails.peek(request.session!, request.query.token);
    if (!change) return renderError(request, reply, 400, BAD_LINK);
    return renderPage(request, reply, 'profile/email-confirm', { title: 'Confirm your new email', change, token: request.query.token });
  });

  app.post('/profile/email/confirm', own, async (request, reply) => {
    const fields = formFields(request.body, { token: 64, _csrf: 64 });
    const result = await deps.emails.confirm(request.session!, fields.token, auditContext(request));
    switch (result.kind) {
      case 'changed':
        setSessionCookie(reply, result.token);
        return reply.redirect('/profile?notice=email-changed', 303);
      case 'taken':
        return renderError(request, reply, 409, `${TAKEN} Your sign-in email was not changed.`);
      case 'ended':
        return reply.redirect('/sign-in', 303);
      case 'invalid_link':
        return renderError(request, reply, 400, BAD_LINK);
    }
  });
}
