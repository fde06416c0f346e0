// The invitation link (/invitations/accept?token=…). Showing it needs only the token (it is the
// capability, 256 bits); accepting here needs a signed-in user whose verified email is the invited
// one (a visitor with no user yet chooses a password instead: invitation-new-user.routes.ts).
// The token never reaches the request log (only paths are logged) nor another site (no Referer).
import type { FastifyInstance } from 'fastify';
import { requireSession } from '../sessions/session.plugin.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { requestOrigin } from './access-control.ts';
import { invitationView, type NewUserForm } from './invitation-view.ts';
import { formAction, roleNamer } from './team-pages.ts';
import type { Team } from './team.ts';

type Query = { Querystring: { token?: string } };

export async function invitationAcceptRoutes(app: FastifyInstance, deps: { team: Team; newUser?: NewUserForm }) {
  const { team } = deps;
  const show = invitationView(deps);

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
