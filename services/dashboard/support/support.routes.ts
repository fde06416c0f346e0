// Support pages (support.use): the account's requests, a form to open one (verified by the session),
// each request with its replies and its history (verification, every staff view), confirming or
// rejecting a request made outside the dashboard, and a support verification code for the desk
// (shown once, on the answer to the form). Ids of another account answer 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { formAction, noticeFrom } from '../team/team-pages.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { SupportMember } from './support.audit.ts';
import { SUPPORT_LIMITS, type SupportService } from './support.service.ts';

const REQUEST_ID = /^supp_[0-9a-z]{19}$/;
const NOTICES = {
  opened: 'Your request was sent to the support desk. Their answers appear here.',
  confirmed: 'You confirmed the request: the support desk may now answer it.',
  rejected: 'The request was rejected: the support desk will not act on it.',
} as const;

type IdParams = { Params: { id: string } };

function memberOf(request: FastifyRequest): SupportMember {
  const session = request.session!;
  return { ...auditContext(request), userId: session.userId, accountId: session.accountId, email: session.email };
}

function requestIdOf(request: FastifyRequest<IdParams>): string {
  if (!REQUEST_ID.test(request.params.id)) throw httpError(404, 'not_found', 'There is no such support request in this account.');
  return request.params.id;
}

export async function supportRoutes(app: FastifyInstance, deps: { support: SupportService }) {
  const { support } = deps;
  const use = requirePermission('support.use');

  async function listPage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const requests = await support.list(request.session!.accountId);
    return renderPage(request, reply, 'support/list', {
      title: 'Support', requests, limits: SUPPORT_LIMITS, errors: [], subject: '', body: '', notice: noticeFrom(request, NOTICES), ...extra,
    }, status);
  }

  async function requestPage(request: FastifyRequest<IdParams>, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const found = await support.view(request.session!.accountId, requestIdOf(request));
    if (!found) throw httpError(404, 'not_found', 'There is no such support request in this account.');
    return renderPage(request, reply, 'support/request', {
      title: found.request.subject, ...found, meId: request.session!.userId, notice: noticeFrom(request, NOTICES), errors: [], ...extra,
    }, status);
  }

  app.get('/support', { preHandler: use }, async (request, reply) => listPage(request, reply));

  app.post('/support', { preHandler: use }, async (request, reply) => {
    const fields = formFields(request.body, { subject: SUPPORT_LIMITS.subject + 50, body: SUPPORT_LIMITS.body + 500, _csrf: 64 });
    return formAction(async () => {
      const id = await support.open(memberOf(request), { subject: fields.subject, body: fields.body });
      return reply.redirect(`/support/${id}?notice=opened`, 303);
    }, (message, status) => listPage(request, reply, { errors: [message], subject: fields.subject, body: fields.body }, status));
  });

  app.post('/support/code', { preHandler: use }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const { code, expiresAt } = await support.issueCode(memberOf(request));
    return renderPage(request, reply, 'support/code', { title: 'Support verification code', code, expiresAt });
  });

  app.get<IdParams>('/support/:id', { preHandler: use }, async (request, reply) => requestPage(request, reply));

  for (const [action, notice] of [['confirm', 'confirmed'], ['reject', 'rejected']] as const) {
    app.post<IdParams>(`/support/:id/${action}`, { preHandler: use }, async (request, reply) => {
      formFields(request.body, { _csrf: 64 });
      const id = requestIdOf(request);
      return formAction(async () => {
        await support[action](memberOf(request), id);
        return reply.redirect(`/support/${id}?notice=${notice}`, 303);
      }, (message, status) => requestPage(request, reply, { errors: [message] }, status));
    });
  }
}
