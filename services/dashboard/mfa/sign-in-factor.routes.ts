// The second step of sign-in (and of a password reset or sign-up confirmation: the same seam): the
// browser holds a pending sign-in (pending-sign-in.ts), proves a second factor here, and only then
// gets a session, whose `factor` and `mfaVerifiedAt` say how and when. A WebAuthn-only member who
// has no credential yet goes on to enrol one (sign-in-enrol.routes.ts) before any session exists.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientOf } from '../sessions/client.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { FactorProof } from './factor-check.ts';
import { allowedFactors, type FactorKind } from './mfa-policy.ts';
import { CODE_FIELDS, flags, refusal, RESPONSE_FIELDS, sendJson, userOf, type MfaPageDeps } from './mfa-pages.ts';
import type { PendingSignIn } from './pending-sign-in.ts';

export const SECOND_FACTOR_PATH = '/sign-in/second-factor';
export const ENROL_PATH = '/sign-in/enrol';
const EXPIRED = '/sign-in?notice=mfa-expired';

export async function signInFactorRoutes(app: FastifyInstance, deps: MfaPageDeps) {
  const { pending, factors } = deps;

  async function allowed(row: PendingSignIn): Promise<Set<FactorKind>> {
    const set = allowedFactors(await factors.summary(row.user_id), { accountRequiresMfa: false, webauthnOnly: row.webauthn_only });
    set.delete('password'); // the password has just been checked: it cannot be its own second factor
    return set;
  }

  async function page(request: FastifyRequest, reply: FastifyReply, row: PendingSignIn, errors: string[] = [], status = 200) {
    return renderPage(request, reply, 'mfa/second-factor', {
      title: 'Confirm it is you', errors, allowed: flags(await allowed(row)), base: SECOND_FACTOR_PATH,
      webauthnOnly: row.webauthn_only, password: false, cancel: '/sign-in', intro: 'Your password was right. Now the second step.',
    }, status);
  }

  /** The live pending sign-in in its verify stage; otherwise where the browser should go instead. */
  async function current(request: FastifyRequest): Promise<PendingSignIn | string> {
    const row = await pending.current(request);
    if (!row) return EXPIRED;
    return row.stage === 'verify' ? row : ENROL_PATH;
  }

  async function prove(request: FastifyRequest, reply: FastifyReply, proof: (row: PendingSignIn) => FactorProof) {
    const row = await current(request);
    if (typeof row === 'string') return reply.redirect(row, 303);
    const user = await userOf(deps.users, row.user_id, row.account_id);
    if (!user) return reply.redirect(EXPIRED, 303);
    const claim = proof(row);
    const outcome = await deps.check.check(claim, {
      purpose: 'sign_in', user, allowed: await allowed(row), client: clientOf(request),
      context: auditContext(request, { type: 'user', id: user.userId }),
    });
    if (!outcome.ok) {
      const refused = refusal(outcome, reply, claim.kind);
      return page(request, reply, row, [refused.message], refused.status);
    }
    if (row.webauthn_only && outcome.factor !== 'webauthn') {
      await pending.requireEnrolment(row.id, outcome.factor === 'totp' ? 'totp' : 'recovery_code');
      return reply.redirect(ENROL_PATH, 303);
    }
    // Single use: of two requests that both proved a factor, only one gets a session.
    if (!(await pending.finish(reply, row.id))) return reply.redirect(EXPIRED, 303);
    return deps.completion.completeSignIn(request, reply, { user, factor: outcome.factor, mfaVerifiedAt: deps.now(), next: row.next });
  }

  app.get(SECOND_FACTOR_PATH, async (request, reply) => {
    const row = await current(request);
    if (typeof row === 'string') return reply.redirect(row, 303);
    return page(request, reply, row);
  });

  app.post(`${SECOND_FACTOR_PATH}/totp`, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    return prove(request, reply, () => ({ kind: 'totp', code: fields.code }));
  });

  app.post(`${SECOND_FACTOR_PATH}/recovery-code`, async (request, reply) => {
    const fields = formFields(request.body, CODE_FIELDS);
    return prove(request, reply, () => ({ kind: 'recovery_code', code: fields.code }));
  });

  app.post(`${SECOND_FACTOR_PATH}/webauthn/options`, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const row = await current(request);
    if (typeof row === 'string') return reply.redirect(row, 303);
    return sendJson(reply, await deps.webauthn.authenticationOptions('second_factor', row.user_id, `pending:${row.id}`));
  });

  app.post(`${SECOND_FACTOR_PATH}/webauthn`, async (request, reply) => {
    const fields = formFields(request.body, RESPONSE_FIELDS);
    return prove(request, reply, (row) => ({ kind: 'webauthn', purpose: 'second_factor', binding: `pending:${row.id}`, response: parseJson(fields.response) }));
  });
}

/** The browser's JSON answer; anything unparsable is simply a response that will not verify. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
