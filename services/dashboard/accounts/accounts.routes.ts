// The accounts page (/accounts) and switching (POST /accounts/switch). Both need only a signed-in
// user (`requireSession`), not a permission: the page lists the user's own memberships (as
// /activity lists their own sessions), and the switch itself refuses any account the user is not a
// member of (404, audited), whatever their roles in the current one.
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import { clientOf } from '../sessions/client.ts';
import { setSessionCookie } from '../sessions/cookie.ts';
import { requireSession } from '../sessions/session.plugin.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { AccountSwitchService } from './account-switch.service.ts';
import type { AccountsStore } from './accounts.store.ts';

export async function accountsRoutes(app: FastifyInstance, deps: {
  accounts: AccountsStore; switcher: AccountSwitchService; completion: SignInCompletion; stepUp: preHandlerAsyncHookHandler;
}) {
  app.get('/accounts', { preHandler: requireSession }, async (request, reply) => {
    const session = request.session!;
    return renderPage(request, reply, 'accounts/list', {
      title: 'Your accounts', memberships: await deps.accounts.memberships(session.userId), current: session.accountId,
    });
  });

  app.post('/accounts/switch', { preHandler: requireSession }, async (request, reply) => {
    const fields = formFields(request.body, { account_id: 64, _csrf: 64 });
    const session = request.session!;
    const target = fields.account_id;
    const plan = await deps.switcher.plan(session, target);
    switch (plan.kind) {
      case 'not_member':
        await deps.switcher.refuse(session, target, auditContext(request));
        throw httpError(404, 'not_found', 'You are not a member of that account.');
      case 'same':
        return reply.redirect('/', 303);
      case 'carry': {
        const started = await deps.switcher.switchTo(session, target, clientOf(request), auditContext(request));
        if (started === null) return reply.redirect('/sign-in', 303);
        setSessionCookie(reply, started);
        return reply.redirect('/', 303);
      }
      case 'reprove': {
        // The target's gate may let the user enrol a new factor without typing the password: only
        // right after a fresh step-up, so a stolen session cookie cannot plant a factor of its own.
        // When the proof is stale the step-up redirects and returns the reply, a thenable that the
        // await follows until the answer has gone out, so `reply.sent` is settled here.
        await deps.stepUp.call(app, request, reply);
        if (reply.sent) return reply;
        if (!(await deps.switcher.leave(session, target, auditContext(request)))) return reply.redirect('/sign-in', 303);
        return deps.completion.finishPasswordStep(request, reply, { userId: session.userId, email: session.email, accountId: target }, 'sign_in', '/');
      }
    }
  });
}
