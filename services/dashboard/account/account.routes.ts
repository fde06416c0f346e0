// Account settings page (/account/settings): every member with account.read sees the settings;
// changing "require MFA for every member" needs account.manage (Owner, Administrator) and a fresh
// step-up, and is audited (account-settings.service.ts).
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { AccountSettingsService } from './account-settings.service.ts';

const NOTICES: Readonly<Record<string, string>> = {
  'mfa-required': 'Every member must now use two-step verification. Those without it set it up at their next sign-in.',
  'mfa-optional': 'Two-step verification is no longer required for every member.',
};

export async function accountRoutes(app: FastifyInstance, deps: { settings: AccountSettingsService; stepUp: preHandlerAsyncHookHandler }) {
  app.get<{ Querystring: { notice?: string } }>('/account/settings', { preHandler: requirePermission('account.read') }, async (request, reply) => {
    const session = request.session!;
    const key = request.query.notice;
    return renderPage(request, reply, 'account/settings', {
      title: 'Account settings', settings: await deps.settings.read(session.accountId), canManage: session.permissions.has('account.manage'),
      notice: typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key] : null,
    });
  });

  app.post('/account/settings/require-mfa', { preHandler: [requirePermission('account.manage'), deps.stepUp] }, async (request, reply) => {
    const fields = formFields(request.body, { require_mfa: 3, _csrf: 64 });
    if (fields.require_mfa !== 'on' && fields.require_mfa !== 'off') throw httpError(400, 'bad_request', 'require_mfa must be on or off');
    const value = fields.require_mfa === 'on';
    const session = request.session!;
    await deps.settings.setRequireMfa({ userId: session.userId, accountId: session.accountId, email: session.email }, value, auditContext(request));
    return reply.redirect(`/account/settings?notice=${value ? 'mfa-required' : 'mfa-optional'}`, 303);
  });
}
