// Forced enrolment during sign-in: the account requires MFA of every member, or a role requires
// WebAuthn, and the member has no (acceptable) factor yet. With the password checked (and, for a
// WebAuthn-only member who had TOTP, that code too), they add a factor here; the session starts only
// once it is added, with that factor, and lands on the security page to create recovery codes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { actorFor, CODE_FIELDS, RESPONSE_FIELDS, sendJson, sendJsonError, userOf, type MfaPageDeps } from './mfa-pages.ts';
import type { PendingSignIn } from './pending-sign-in.ts';
import { ENROL_PATH, parseJson, SECOND_FACTOR_PATH } from './sign-in-factor.routes.ts';
import { totpQr } from './totp-qr.ts';

const EXPIRED = '/sign-in?notice=mfa-expired';
const AFTER_ENROLMENT = '/security?notice=enrolled';

export async function signInEnrolRoutes(app: FastifyInstance, deps: MfaPageDeps) {
  const { pending } = deps;

  async function current(request: FastifyRequest): Promise<PendingSignIn | string> {
    const row = await pending.current(request);
    if (!row) return EXPIRED;
    return row.stage === 'enrol' ? row : SECOND_FACTOR_PATH;
  }

  async function page(request: FastifyRequest, reply: FastifyReply, row: PendingSignIn, errors: string[] = [], status = 200) {
    const why = row.webauthn_only
      ? 'Your role requires a security key or passkey (they cannot be phished). Add one to finish signing in.'
      : 'Your account requires two-step verification for every member. Add a second factor to finish signing in.';
    return renderPage(request, reply, 'mfa/enrol', { title: 'Set up two-step verification', errors, why, webauthnOnly: row.webauthn_only }, status);
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, row: PendingSignIn, factor: 'totp' | 'webauthn') {
    const user = await userOf(deps.users, row.user_id, row.account_id);
    if (!user || !(await pending.finish(reply, row.id))) return reply.redirect(EXPIRED, 303);
    return deps.completion.completeSignIn(request, reply, { user, factor, mfaVerifiedAt: deps.now(), next: AFTER_ENROLMENT });
  }

  async function withRow(request: FastifyRequest, reply: FastifyReply, then: (row: PendingSignIn, actor: ReturnType<typeof actorFor>) => Promise<FastifyReply>) {
    const row = await current(request);
    if (typeof row === 'string') return reply.redirect(row, 303);
    const user = await userOf(deps.users, row.user_id, row.account_id);
    if (!user) return reply.redirect(EXPIRED, 303);
    return then(row, actorFor(request, user));
  }

  app.get(ENROL_PATH, async (request, reply) => withRow(request, reply, (row) => page(request, reply, row)));

  app.post(`${ENROL_PATH}/totp`, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    return withRow(request, reply, async (row, actor) => {
      if (row.webauthn_only) return page(request, reply, row, ['Your role requires a security key or passkey.'], 403);
      const started = await deps.service.startTotp(actor);
      if (started.kind === 'unavailable') return page(request, reply, row, ['An authenticator app cannot be added just now. Use a security key or passkey, or try again in a few minutes.'], 503);
      if (started.kind === 'exists') return page(request, reply, row, ['You already have an authenticator app.'], 409);
      return renderPage(request, reply, 'mfa/totp-enrol', {
        title: 'Add an authenticator app', errors: [], secret: started.secret, uri: started.uri, qr: totpQr(started.uri), action: `${ENROL_PATH}/totp/confirm`, restart: ENROL_PATH,
      });
    });
  });

  app.post(`${ENROL_PATH}/totp/confirm`, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    return withRow(request, reply, async (row, actor) => {
      if (row.webauthn_only) return page(request, reply, row, ['Your role requires a security key or passkey.'], 403);
      const result = await deps.service.confirmTotp(actor, fields.code);
      if (result === 'added') return finish(request, reply, row, 'totp');
      const errors = {
        wrong: 'That code is not right. Check the time on your device and enter the code it shows now.',
        expired: 'That setup expired. Start again.',
        unavailable: 'The code cannot be checked just now. Try again in a few minutes.',
      };
      return renderPage(request, reply, 'mfa/totp-enrol', {
        title: 'Add an authenticator app', errors: [errors[result]], secret: null, action: `${ENROL_PATH}/totp/confirm`, restart: ENROL_PATH,
      }, result === 'wrong' ? 400 : result === 'expired' ? 410 : 503);
    });
  });

  app.post(`${ENROL_PATH}/webauthn/options`, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const row = await current(request);
    if (typeof row === 'string') return sendJsonError(reply, 401, 'authentication_failure', 'This sign-in expired. Sign in again.');
    const user = await userOf(deps.users, row.user_id, row.account_id);
    if (!user) return sendJsonError(reply, 401, 'authentication_failure', 'This sign-in expired. Sign in again.');
    return sendJson(reply, await deps.webauthn.registrationOptions(user, `pending:${row.id}`));
  });

  app.post(`${ENROL_PATH}/webauthn`, async (request, reply) => {
    const fields = formFields(request.body, { ...RESPONSE_FIELDS, name: 240 });
    return withRow(request, reply, async (row, actor) => {
      const result = await deps.service.addWebAuthn(actor, `pending:${row.id}`, parseJson(fields.response), fields.name);
      if (result === 'added') return finish(request, reply, row, 'webauthn');
      const message = result === 'duplicate' ? 'That security key or passkey is registered already.' : 'That security key or passkey could not be registered. Try again.';
      return page(request, reply, row, [message], 400);
    });
  });
}
