// The invitation link (/invitations/accept?token=…). Showing it needs only the token (it is the
// capability, 256 bits); accepting needs a signed-in user whose verified email is the invited one.
// The token never reaches the request log (only paths are logged) nor another site (no Referer).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireSession } from '../sessions/session.plugin.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { requestOrigin } from './access-control.ts';
import { isWellFormedToken } from '../sessions/tokens.ts';
import { formAction, roleNamer } from './team-pages.ts';
import type { Team } from './team.ts';

type Query = { Querystring: { token?: string } };

export async function invitationAcceptRoutes(app: FastifyInstance, deps: { team: Team }) {
  const { team } = deps;

  async function show(request: FastifyRequest, reply: FastifyReply, token: string, errors: string[] = [], status = 200) {
    const invitation = isWellFormedToken(token) ? await team.invitations.peek(token) : null;
    const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
    return renderPage(request, reply, 'team/accept', {
      title: 'Invitation', invitation, token, errors, here,
      signedInAs: request.session?.email ?? null,
      wrongUser: invitation !== null && request.session !== null && request.session.email.toLowerCase() !== invitation.email,
    }, invitation === null && errors.length === 0 ? 404 : status);
  }

  // Public: the holder of the link sees what it offers; nothing changes.
  app.get<Query>('/invitations/accept', async (request, reply) => show(request, reply, typeof request.query.token === 'string' ? request.query.token : ''));

  app.post('/invitations/accept', { preHandler: requireSession }, async (request, reply) => {
    const fields = formFields(request.body, { token: 64, _csrf: 64 });
    const session = request.session!;
    return formAction(async () => {
      const joined = await team.acceptance.accept({ userId: session.userId, sessionId: session.id, origin: requestOrigin(request) }, fields.token);
      const roleName = roleNamer(await team.roles.list(joined.accountId));
      return renderPage(request, reply, 'team/joined', { title: 'Invitation accepted', accountId: joined.accountId, roles: joined.roles.map(roleName) });
    }, (message, status) => show(request, reply, fields.token, [message], status));
  });
}
