// The invitation page (web/views/team/accept.eta) as both invitation routes show it: what the link
// offers, and what this visitor can do with it: accept (signed in as the invitee), sign in first,
// or, new to Strongroom, choose a password (when the new-user form is wired).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isWellFormedToken } from '../sessions/tokens.ts';
import { renderPage } from '../web/views.ts';
import type { Team } from './team.ts';

/** The password rules the new-user form states (the policy profile's, without MFA yet). */
export type NewUserForm = { action: string; minLength: number; maxLength: number; lettersAndDigits: boolean };

export type ShowInvitation = (request: FastifyRequest, reply: FastifyReply, token: string, errors?: string[], status?: number) => Promise<FastifyReply>;

export function invitationView(deps: { team: Pick<Team, 'invitations'>; newUser?: NewUserForm }): ShowInvitation {
  return async (request, reply, token, errors = [], status = 200) => {
    const invitation = isWellFormedToken(token) ? await deps.team.invitations.peek(token) : null;
    const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
    return renderPage(request, reply, 'team/accept', {
      title: 'Invitation', invitation, token, errors, here, newUser: deps.newUser ?? null,
      signedInAs: request.session?.email ?? null,
      wrongUser: invitation !== null && request.session !== null && request.session.email.toLowerCase() !== invitation.email,
    }, invitation === null && errors.length === 0 ? 404 : status);
  };
}
