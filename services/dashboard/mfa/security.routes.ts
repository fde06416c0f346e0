// The user's own sign-in security page (/security): their security keys and passkeys, authenticator
// app and recovery codes. Seeing it needs profile.manage; every change also needs a fresh step-up
// (`requireRecentMfa`), is audited and is emailed to the user. Secrets (the TOTP key, recovery
// codes) are shown once, in the answer to the POST that made them, never on a page that can be
// reloaded. Another user's credential id answers 404, like an unknown one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { actorFor, CODE_FIELDS, RESPONSE_FIELDS, sendJson, type MfaPageDeps } from './mfa-pages.ts';
import { parseJson } from './sign-in-factor.routes.ts';
import { totpQr } from './totp-qr.ts';

const NOTICES: Readonly<Record<string, string>> = {
  enrolled: 'Two-step verification is on. Create recovery codes below, in case you lose your device.',
  'totp-added': 'Your authenticator app is on.',
  'totp-removed': 'The authenticator app was removed.',
  'webauthn-added': 'Your security key or passkey was added.',
  'webauthn-removed': 'The security key or passkey was removed.',
};

const REQUIRED = 'You cannot remove your last sign-in method of the kind your account or role requires. Add another one first.';

export async function securityRoutes(app: FastifyInstance, deps: MfaPageDeps) {
  const { service, factors } = deps;
  // profile.manage: every member's own profile (a baseline permission of every role).
  const own = { preHandler: requirePermission('profile.manage') };
  const change = { preHandler: [requirePermission('profile.manage'), deps.stepUp] };
  const actor = (request: FastifyRequest) => {
    const s = request.session!;
    return actorFor(request, { userId: s.userId, email: s.email, accountId: s.accountId });
  };

  async function page(request: FastifyRequest, reply: FastifyReply, extra: { notice?: string | null; errors?: string[] } = {}, status = 200) {
    const session = request.session!;
    const [summary, credentials, requirement] = await Promise.all([
      factors.summary(session.userId), factors.credentials(session.userId), deps.policy.requirementFor(session.userId, session.accountId),
    ]);
    return renderPage(request, reply, 'mfa/security', {
      title: 'Sign-in security', summary, credentials, requirement, notice: extra.notice ?? null, errors: extra.errors ?? [],
    }, status);
  }

  const totpPage = (request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>, status = 200) =>
    renderPage(request, reply, 'mfa/totp-enrol', {
      title: 'Add an authenticator app', errors: [], secret: null, action: '/security/totp/confirm', restart: '/security', ...data,
    }, status);

  app.get<{ Querystring: { notice?: string } }>('/security', own, async (request, reply) => {
    const key = request.query.notice;
    return page(request, reply, { notice: typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key] : null });
  });

  app.post('/security/totp', change, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const started = await service.startTotp(actor(request));
    if (started.kind === 'exists') return page(request, reply, { errors: ['You already have an authenticator app. Remove it first to add another.'] }, 409);
    if (started.kind === 'unavailable') return page(request, reply, { errors: ['An authenticator app cannot be added just now. Try again in a few minutes.'] }, 503);
    return totpPage(request, reply, { secret: started.secret, uri: started.uri, qr: totpQr(started.uri) });
  });

  // No step-up here: the key was shown after one, and the code proves the app holds it.
  app.post('/security/totp/confirm', own, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    const result = await service.confirmTotp(actor(request), fields.code);
    if (result === 'added') return reply.redirect('/security?notice=totp-added', 303);
    const errors = {
      wrong: 'That code is not right. Check the time on your device and enter the code it shows now.',
      expired: 'That setup expired or was finished already. Start again.',
      unavailable: 'The code cannot be checked just now. Try again in a few minutes.',
    };
    return totpPage(request, reply, { errors: [errors[result]] }, result === 'wrong' ? 400 : result === 'expired' ? 410 : 503);
  });

  app.post('/security/totp/remove', change, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const result = await service.removeTotp(actor(request));
    if (result === 'none') throw httpError(404, 'not_found', 'You have no authenticator app to remove.');
    if (result === 'required') return page(request, reply, { errors: [REQUIRED] }, 409);
    return reply.redirect('/security?notice=totp-removed', 303);
  });

  app.post('/security/webauthn/options', change, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const s = request.session!;
    return sendJson(reply, await deps.webauthn.registrationOptions({ userId: s.userId, email: s.email }, `session:${s.id}`));
  });

  app.post('/security/webauthn', change, async (request, reply) => {
    const fields = formFields(request.body, { ...RESPONSE_FIELDS, name: 240 });
    const result = await service.addWebAuthn(actor(request), `session:${request.session!.id}`, parseJson(fields.response), fields.name);
    if (result === 'added') return reply.redirect('/security?notice=webauthn-added', 303);
    const message = result === 'duplicate' ? 'That security key or passkey is registered already.' : 'That security key or passkey could not be registered. Try again.';
    return page(request, reply, { errors: [message] }, 400);
  });

  app.post('/security/webauthn/remove', change, async (request, reply) => {
    const fields = formFields(request.body, { credential: 1400, _csrf: 64 });
    const result = await service.removeWebAuthn(actor(request), fields.credential);
    if (result === 'not_found') throw httpError(404, 'not_found', 'You have no such security key or passkey.');
    if (result === 'required') return page(request, reply, { errors: [REQUIRED] }, 409);
    return reply.redirect('/security?notice=webauthn-removed', 303);
  });

  app.post('/security/recovery-codes', change, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const before = await factors.summary(request.session!.userId);
    const codes = await service.createRecoveryCodes(actor(request));
    if (codes === 'no_factor') return page(request, reply, { errors: ['Set up a security key, passkey or authenticator app first.'] }, 409);
    return renderPage(request, reply, 'mfa/recovery-codes', { title: 'Your recovery codes', codes, replaced: before.recoveryCodesLeft > 0 });
  });
}
