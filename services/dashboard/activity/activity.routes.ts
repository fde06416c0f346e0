// The signed-in user's own activity: live sessions (revoke one, or all the others) and the login
// history. Both read only the caller's rows; a session id of someone else answers 404.
import type { FastifyInstance } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { LoginHistoryStore } from '../auth/login-history.store.ts';
import { clearSessionCookie } from '../sessions/cookie.ts';
import { requireSession } from '../sessions/session.plugin.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';

const SESSION_ID = /^sess_[0-9a-z]{19}$/;
const NOTICES: Readonly<Record<string, string>> = {
  revoked: 'The session was signed out.',
  'others-revoked': 'Every other session was signed out.',
};

export async function activityRoutes(app: FastifyInstance, deps: { sessions: SessionService; history: LoginHistoryStore }) {
  app.get<{ Querystring: { notice?: string } }>('/activity/sessions', { preHandler: requireSession }, async (request, reply) => {
    const session = request.session!;
    const notice = typeof request.query.notice === 'string' ? NOTICES[request.query.notice] ?? null : null;
    const sessions = await deps.sessions.list(session.userId);
    return renderPage(request, reply, 'activity/sessions', { title: 'Sessions', sessions, currentId: session.id, notice });
  });

  app.post<{ Params: { id: string } }>('/activity/sessions/:id/revoke', { preHandler: requireSession }, async (request, reply) => {
    const session = request.session!;
    formFields(request.body, { _csrf: 64 });
    const id = request.params.id;
    if (!SESSION_ID.test(id) || !(await deps.sessions.revoke(session, id, auditContext(request)))) {
      throw httpError(404, 'not_found', 'There is no such session of yours (it may have ended already).');
    }
    if (id === session.id) {
      clearSessionCookie(reply);
      return reply.redirect('/sign-in?notice=signed-out', 303);
    }
    return reply.redirect('/activity/sessions?notice=revoked', 303);
  });

  app.post('/activity/sessions/revoke-others', { preHandler: requireSession }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    await deps.sessions.revokeOthers(request.session!, auditContext(request));
    return reply.redirect('/activity/sessions?notice=others-revoked', 303);
  });

  app.get('/activity/login-history', { preHandler: requireSession }, async (request, reply) => {
    const events = await deps.history.list(request.session!.userId, 100);
    return renderPage(request, reply, 'activity/login-history', { title: 'Login history', events });
  });
}
