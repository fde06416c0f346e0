// The step-up page (`requireRecentMfa` sends the browser here): prove a factor again, then the
// session gets a new token (the old one stops working), `mfaVerifiedAt` = now and `factor` = the
// factor used, and the browser returns to `next` (same-site paths only). Which factors are offered
// follows mfa-policy.ts; a user with no second factor confirms with their password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_SIGN_IN_PASSWORD } from '../auth/sign-in.service.ts';
import { clientOf } from '../sessions/client.ts';
import { setSessionCookie } from '../sessions/cookie.ts';
import { requireSession, safeNext } from '../sessions/session.plugin.ts';
import type { Session } from '../sessions/sessions.service.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { FactorProof } from './factor-check.ts';
import { allowedFactors, type FactorKind } from './mfa-policy.ts';
import { CODE_FIELDS, flags, refusal, RESPONSE_FIELDS, sendJson, type MfaPageDeps } from './mfa-pages.ts';
import { parseJson } from './sign-in-factor.routes.ts';
import { STEP_UP_PATH } from './step-up.ts';

type Next = { Querystring: { next?: string } };

export async function stepUpRoutes(app: FastifyInstance, deps: MfaPageDeps) {
  const guard = { preHandler: requireSession };

  async function allowed(session: Session): Promise<Set<FactorKind>> {
    const [summary, requirement] = await Promise.all([deps.factors.summary(session.userId), deps.policy.requirementFor(session.userId, session.accountId)]);
    return allowedFactors(summary, requirement);
  }

  async function page(request: FastifyRequest, reply: FastifyReply, next: string, errors: string[] = [], status = 200) {
    const set = await allowed(request.session!);
    return renderPage(request, reply, 'mfa/second-factor', {
      title: 'Confirm it is you', errors, allowed: flags(set), base: STEP_UP_PATH, next, nextQuery: `?next=${encodeURIComponent(next)}`,
      webauthnOnly: false, password: set.has('password'), cancel: next,
      intro: 'This needs a fresh confirmation that it is you. Then you go back to what you were doing.',
    }, status);
  }

  /** The `next` a step-up form carries in its action's query string. */
  const nextOf = (request: FastifyRequest) => safeNext((request.query as { next?: unknown }).next);

  async function prove(request: FastifyRequest, reply: FastifyReply, proof: FactorProof) {
    const session = request.session!;
    const next = nextOf(request);
    const outcome = await deps.check.check(proof, {
      purpose: 'step_up', user: { userId: session.userId, email: session.email, accountId: session.accountId },
      allowed: await allowed(session), client: clientOf(request), context: auditContext(request),
    });
    if (!outcome.ok) {
      const refused = refusal(outcome, reply, proof.kind);
      return page(request, reply, next, [refused.message], refused.status);
    }
    const rotated = await deps.sessions.rotate(session, { factor: outcome.factor, mfaVerifiedAt: deps.now() }, auditContext(request));
    if (rotated === null) return reply.redirect('/sign-in', 303);
    setSessionCookie(reply, rotated);
    return reply.redirect(next, 303);
  }

  app.get<Next>(STEP_UP_PATH, guard, async (request, reply) => page(request, reply, nextOf(request)));

  app.post<Next>(`${STEP_UP_PATH}/totp`, guard, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    return prove(request, reply, { kind: 'totp', code: fields.code });
  });

  app.post<Next>(`${STEP_UP_PATH}/recovery-code`, guard, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    return prove(request, reply, { kind: 'recovery_code', code: fields.code });
  });

  app.post<Next>(`${STEP_UP_PATH}/password`, guard, async (request, reply) => {
    const fields = formFields(request.body, { password: MAX_SIGN_IN_PASSWORD, _csrf: 64 });
    return prove(request, reply, { kind: 'password', password: fields.password });
  });

  app.post(`${STEP_UP_PATH}/webauthn/options`, guard, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    return sendJson(reply, await deps.webauthn.authenticationOptions('step_up', request.session!.userId, `session:${request.session!.id}`));
  });

  app.post<Next>(`${STEP_UP_PATH}/webauthn`, guard, async (request, reply) => {
    const fields = formFields(request.body, RESPONSE_FIELDS);
    return prove(request, reply, { kind: 'webauthn', purpose: 'step_up', binding: `session:${request.session!.id}`, response: parseJson(fields.response) });
  });
}
