// The team page (/team): members, invitations and the invite form, and one page per member to change
// their roles or remove them. Reading needs team.read; every change needs team.manage and a fresh
// step-up; the rules themselves (grant only what you hold, …) are the services'. Ids of another
// account answer 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { requirePermission } from './permissions.ts';
import { actorOf, formAction, noticeFrom, roleChoices, roleNamer, ticked, type StepUp } from './team-pages.ts';
import type { Team } from './team.ts';

const USER_ID = idPattern('user');
const INVITATION_ID = idPattern('invitation');
const NOTICES = {
  invited: 'The invitation was sent. It works once, for 72 hours, for that email address only.',
  'invited-undelivered': 'The invitation was created, but the email could not be sent. Revoke it and invite again later.',
  revoked: 'The invitation was revoked: its link no longer works.',
  'roles-changed': 'The member\'s roles were changed. Their open sessions use the new roles from their next click.',
  removed: 'The member was removed. Their open sessions lost access to the account at once.',
} as const;

type IdParams = { Params: { id: string } };

export async function teamRoutes(app: FastifyInstance, deps: { team: Team; stepUp: StepUp }) {
  const { team } = deps;
  const manage = [requirePermission('team.manage'), deps.stepUp];

  async function teamPage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const accountId = request.session!.accountId;
    const [members, invitations, custom] = await Promise.all([team.members.list(accountId), team.invitations.list(accountId), team.roles.list(accountId)]);
    return renderPage(request, reply, 'team/team', {
      title: 'Team', members, invitations, choices: roleChoices(custom), roleName: roleNamer(custom),
      canManage: request.session!.permissions.has('team.manage'), meId: request.session!.userId,
      notice: noticeFrom(request, NOTICES), errors: [], email: '', picked: [], ...extra,
    }, status);
  }

  async function memberPage(request: FastifyRequest, reply: FastifyReply, userId: string, extra: Record<string, unknown> = {}, status = 200) {
    const accountId = request.session!.accountId;
    const member = USER_ID.test(userId) ? (await team.members.list(accountId)).find((m) => m.userId === userId) : undefined;
    if (!member) throw httpError(404, 'not_found', 'There is no such member in this account.');
    const custom = await team.roles.list(accountId);
    return renderPage(request, reply, 'team/member', {
      title: member.email, member, choices: roleChoices(custom), roleName: roleNamer(custom),
      canManage: request.session!.permissions.has('team.manage') && userId !== request.session!.userId,
      isMe: userId === request.session!.userId, notice: noticeFrom(request, NOTICES), errors: [], ...extra,
    }, status);
  }

  app.get('/team', { preHandler: requirePermission('team.read') }, async (request, reply) => teamPage(request, reply));

  app.post('/team/invitations', { preHandler: manage }, async (request, reply) => {
    const fields = formFields(request.body, { email: 320, _csrf: 64 });
    const choices = roleChoices(await team.roles.list(request.session!.accountId)).map((c) => c.key);
    const roles = ticked(request.body, 'role:', choices);
    return formAction(async () => {
      const { delivered } = await team.invitations.invite(actorOf(request), { email: fields.email, roles });
      return reply.redirect(`/team?notice=${delivered ? 'invited' : 'invited-undelivered'}`, 303);
    }, (message, status) => teamPage(request, reply, { errors: [message], email: fields.email, picked: roles }, status));
  });

  app.post<IdParams>('/team/invitations/:id/revoke', { preHandler: manage }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    if (!INVITATION_ID.test(request.params.id)) throw httpError(404, 'not_found', 'There is no such invitation in this account.');
    return formAction(async () => {
      await team.invitations.revoke(actorOf(request), request.params.id);
      return reply.redirect('/team?notice=revoked', 303);
    }, (message, status) => teamPage(request, reply, { errors: [message] }, status));
  });

  app.get<IdParams>('/team/members/:id', { preHandler: requirePermission('team.read') }, async (request, reply) => memberPage(request, reply, request.params.id));

  app.post<IdParams>('/team/members/:id/roles', { preHandler: manage }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const userId = request.params.id;
    if (!USER_ID.test(userId)) throw httpError(404, 'not_found', 'There is no such member in this account.');
    const choices = roleChoices(await team.roles.list(request.session!.accountId)).map((c) => c.key);
    return formAction(async () => {
      await team.members.changeRoles(actorOf(request), userId, ticked(request.body, 'role:', choices));
      return reply.redirect(`/team/members/${userId}?notice=roles-changed`, 303);
    }, (message, status) => memberPage(request, reply, userId, { errors: [message] }, status));
  });

  app.post<IdParams>('/team/members/:id/remove', { preHandler: manage }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const userId = request.params.id;
    if (!USER_ID.test(userId)) throw httpError(404, 'not_found', 'There is no such member in this account.');
    return formAction(async () => {
      await team.members.remove(actorOf(request), userId);
      return reply.redirect('/team?notice=removed', 303);
    }, (message, status) => memberPage(request, reply, userId, { errors: [message] }, status));
  });
}
