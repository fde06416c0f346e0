// The roles page (/team/roles): the predefined roles with why each exists and what it holds, the
// account's custom roles, and the forms to create, change and delete custom roles (roles.manage and
// a fresh step-up). Another account's role id answers 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { ALL_PERMISSIONS, requirePermission } from './permissions.ts';
import { PREDEFINED_ROLES } from './roles.ts';
import type { CustomRoleInput } from './custom-roles.service.ts';
import { actorOf, formAction, noticeFrom, PERMISSION_CHOICES, ticked, type StepUp } from './team-pages.ts';
import type { Team } from './team.ts';

const ROLE_ID = /^role_[0-9a-z]{19}$/;
const NOTICES = {
  created: 'The role was created. Assign it from a member\'s page or when inviting.',
  updated: 'The role was changed. Its members have the new permissions from their next click.',
  deleted: 'The role was deleted.',
} as const;

type IdParams = { Params: { id: string } };

function roleInput(body: unknown): CustomRoleInput {
  const fields = formFields(body, { name: 200, description: 400, phishing_resistant_mfa: 8, _csrf: 64 });
  return {
    name: fields.name, description: fields.description, phishingResistantMfa: fields.phishing_resistant_mfa === 'on',
    permissions: ticked(body, 'perm:', ALL_PERMISSIONS),
  };
}

export async function roleRoutes(app: FastifyInstance, deps: { team: Team; stepUp: StepUp }) {
  const { team } = deps;
  const manage = [requirePermission('roles.manage'), deps.stepUp];
  const predefined = PREDEFINED_ROLES.map((r) => ({ ...r, permissions: [...r.permissions].sort() }));

  async function rolesPage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    return renderPage(request, reply, 'team/roles', {
      title: 'Roles', predefined, custom: await team.roles.list(request.session!.accountId), permissions: PERMISSION_CHOICES,
      canManage: request.session!.permissions.has('roles.manage'), notice: noticeFrom(request, NOTICES), errors: [],
      draft: { name: '', description: '', permissions: [], phishingResistantMfa: false }, ...extra,
    }, status);
  }

  async function rolePage(request: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const role = ROLE_ID.test(id) ? (await team.roles.list(request.session!.accountId)).find((r) => r.id === id) : undefined;
    if (!role) throw httpError(404, 'not_found', 'There is no such role in this account.');
    return renderPage(request, reply, 'team/role', {
      title: role.name, role, draft: role, permissions: PERMISSION_CHOICES,
      canManage: request.session!.permissions.has('roles.manage') && !request.session!.roles.includes(id), errors: [], ...extra,
    }, status);
  }

  app.get('/team/roles', { preHandler: requirePermission('team.read') }, async (request, reply) => rolesPage(request, reply));

  app.post('/team/roles', { preHandler: manage }, async (request, reply) => {
    const input = roleInput(request.body);
    return formAction(async () => {
      await team.roles.create(actorOf(request), input);
      return reply.redirect('/team/roles?notice=created', 303);
    }, (message, status) => rolesPage(request, reply, { errors: [message], draft: input }, status));
  });

  app.get<IdParams>('/team/roles/:id', { preHandler: requirePermission('team.read') }, async (request, reply) => rolePage(request, reply, request.params.id));

  app.post<IdParams>('/team/roles/:id', { preHandler: manage }, async (request, reply) => {
    const input = roleInput(request.body);
    const id = request.params.id;
    if (!ROLE_ID.test(id)) throw httpError(404, 'not_found', 'There is no such role in this account.');
    return formAction(async () => {
      await team.roles.update(actorOf(request), id, input);
      return reply.redirect('/team/roles?notice=updated', 303);
    }, (message, status) => rolePage(request, reply, id, { errors: [message], draft: { ...input, id } }, status));
  });

  app.post<IdParams>('/team/roles/:id/delete', { preHandler: manage }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const id = request.params.id;
    if (!ROLE_ID.test(id)) throw httpError(404, 'not_found', 'There is no such role in this account.');
    return formAction(async () => {
      await team.roles.remove(actorOf(request), id);
      return reply.redirect('/team/roles?notice=deleted', 303);
    }, (message, status) => rolePage(request, reply, id, { errors: [message] }, status));
  });
}
