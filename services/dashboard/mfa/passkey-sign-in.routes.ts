// Usernameless sign-in with a passkey: no email, no password. The browser offers whichever
// discoverable credential this site has; a verified assertion (user verification required: the
// device checked a fingerprint, face or PIN) names the user, and is both factors at once. The
// challenge is bound to this browser's form cookie, so it cannot be redeemed elsewhere.
// Each ceremony started counts against the network (one row per challenge, and a guessing tool's
// attempts, are bounded); a successful sign-in gives its attempt back, so a busy office is not slowed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Audit } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { safeNext } from '../sessions/session.plugin.ts';
import { tooManyAttempts } from '../auth/answers.ts';
import { createThrottleStore, networkKey, type ThrottleCheck } from '../auth/throttle.store.ts';
import type { DelayRule } from '../policy-profiles.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { MFA_AUDIT } from './factor-check.ts';
import { browserBinding, RESPONSE_FIELDS, sendJson, sendJsonError, type MfaPageDeps } from './mfa-pages.ts';
import { parseJson } from './sign-in-factor.routes.ts';

export const PASSKEY_PATH = '/sign-in/passkey';
const NOT_RECOGNISED = 'That passkey is not registered with Strongroom (or it could not be verified). Sign in with your email and password instead.';

type Deps = MfaPageDeps & { db: Kysely<DashboardDatabase>; audit: Audit };

/** Passkey ceremonies per network: 30 free, then doubling delays from 1 s to 5 min; forgotten after an hour. */
export const PASSKEY_PER_NETWORK: DelayRule = { freeFailures: 30, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000, forgetAfterMs: 60 * 60_000 };
// Scope 'ip' with its own key prefix: a separate counter from password sign-in's, same table.
const passkeyCheck = (ip: string): ThrottleCheck[] => [{ scope: 'ip', key: `passkey:${networkKey(ip)}`, rule: PASSKEY_PER_NETWORK }];

export async function passkeySignInRoutes(app: FastifyInstance, deps: Deps) {
  const throttle = createThrottleStore(deps.db, deps.now);
  const page = (request: FastifyRequest, reply: FastifyReply, errors: string[] = [], status = 200) =>
    renderPage(request, reply, 'mfa/passkey-sign-in', { title: 'Sign in with a passkey', errors }, status);

  async function refused(request: FastifyRequest, reply: FastifyReply, reason: string, userId?: string) {
    await deps.audit.recordStandalone({
      ...auditContext(request, userId ? { type: 'user', id: userId } : { type: 'system', id: 'anonymous' }),
      action: MFA_AUDIT.verify, tenant: null, targets: userId ? [{ type: 'user', id: userId }] : [],
      outcome: { result: 'failure', reason }, metadata: { factor: 'webauthn', purpose: 'passkey_sign_in' },
    });
    return page(request, reply, [NOT_RECOGNISED], 401);
  }

  app.get<{ Querystring: { next?: string } }>(PASSKEY_PATH, async (request, reply) => {
    if (request.session) return reply.redirect(safeNext(request.query.next), 303);
    return page(request, reply);
  });

  app.post(`${PASSKEY_PATH}/options`, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const decision = await throttle.attempt(passkeyCheck(request.ip));
    if (!decision.allowed) return sendJsonError(reply, 429, 'too_many_requests', tooManyAttempts(reply, decision.retryAfterMs));
    return sendJson(reply, await deps.webauthn.authenticationOptions('passkey_sign_in', null, browserBinding(request)));
  });

  app.post(PASSKEY_PATH, async (request, reply) => {
    const fields = formFields(request.body, RESPONSE_FIELDS);
    const result = await deps.webauthn.verifyAuthentication('passkey_sign_in', null, browserBinding(request), parseJson(fields.response));
    if (!result.ok) return refused(request, reply, result.reason);
    const user = await deps.users.findById(result.userId);
    const accountId = user ? await deps.users.homeAccount(user.id) : null;
    if (!user || !user.email_verified || accountId === null) return refused(request, reply, 'no_membership', result.userId);
    await throttle.succeeded(passkeyCheck(request.ip));
    await deps.db.transaction().execute((tx) => deps.audit.record(tx, {
      ...auditContext(request, { type: 'user', id: user.id }), action: MFA_AUDIT.verify, tenant: accountId,
      targets: [{ type: 'user', id: user.id }], outcome: { result: 'success' }, metadata: { factor: 'webauthn', purpose: 'passkey_sign_in' },
    }));
    return deps.completion.completeSignIn(request, reply, {
      user: { userId: user.id, email: user.email, accountId }, factor: 'webauthn', mfaVerifiedAt: deps.now(), next: '/',
    });
  });
}
