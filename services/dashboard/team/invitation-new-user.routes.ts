// POST /invitations/accept/new-user: a visitor with no Strongroom user joins through the invitation
// by choosing a password (invitation-new-user.service.ts), then signs in through the normal path
// (`finishPasswordStep`: the afterPassword seam), so an account or role that requires MFA sends
// them to enrol before any session exists. Otherwise they land on the account's overview.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { tooManyAttempts } from '../auth/answers.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import { formFields } from '../web/forms.ts';
import { requestOrigin } from './access-control.ts';
import type { InvitationNewUserService } from './invitation-new-user.service.ts';
import type { ShowInvitation } from './invitation-view.ts';

export const NEW_USER_PATH = '/invitations/accept/new-user';

const USER_EXISTS = 'This email address already has a Strongroom account. Sign in with it, then open this link again to accept.';
const SIGNED_IN = 'You are signed in. To join with a new account for the invited address, sign out first.';

export async function invitationNewUserRoutes(app: FastifyInstance, deps: {
  newUsers: InvitationNewUserService; completion: SignInCompletion; profile: PolicyProfile; show: ShowInvitation;
}) {
  const { show } = deps;

  // Public on purpose, as /password-reset/choose: the 256-bit token in the form is the capability.
  // CSRF still applies: signed out, the form carries the pre-session cookie's token (web/csrf.ts).
  app.post(NEW_USER_PATH, async (request, reply) => {
    const fields = formFields(request.body, { token: 64, password: deps.profile.password.maxLength * 4, _csrf: 64 });
    if (request.session !== null) return show(request, reply, fields.token, [SIGNED_IN], 409);
    const result = await deps.newUsers.create({ token: fields.token, password: fields.password }, requestOrigin(request));
    switch (result.kind) {
      case 'created':
        return deps.completion.finishPasswordStep(request, reply, result.user, 'sign_up', '/');
      case 'throttled':
        throw httpError(429, 'too_many_requests', tooManyAttempts(reply, result.retryAfterMs));
      case 'invalid_invitation':
        return show(request, reply, fields.token);
      case 'invalid_password':
        return show(request, reply, fields.token, result.problems, 400);
      case 'user_exists':
        return show(request, reply, fields.token, [USER_EXISTS], 409);
      case 'refused':
        return show(request, reply, fields.token, [result.message], result.status);
    }
  });
}
