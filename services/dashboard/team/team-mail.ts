// The emails of team changes: one to the member concerned, one to each administrator of the account
// (team/administrators.ts), so a change made from a stolen session does not go unnoticed. Plain
// text, addresses and role names only: never a link token.
import type { MailMessage } from '../mail/mailer.ts';

export type TeamAudience = 'member' | 'administrator';

export type TeamChange =
  | { kind: 'joined'; invitedBy: string; roles: string }
  | { kind: 'roles_changed'; by: string; before: string; after: string }
  | { kind: 'removed'; by: string; roles: string };

type Facts = { audience: TeamAudience; member: string; accountId: string; when: string; origin: string };

function ending(audience: TeamAudience): string {
  return audience === 'administrator'
    ? '\n\n— Strongroom\nYou received this because you are an administrator of this account.'
    : '\n\n— Strongroom\nYou received this because it concerns your access to a Strongroom account.';
}

function member(change: TeamChange, f: Facts): { subject: string; text: string } {
  switch (change.kind) {
    case 'joined':
      return {
        subject: 'You joined a Strongroom account',
        text: `You joined the Strongroom account ${f.accountId} at ${f.when}, invited by ${change.invitedBy}. Your roles: ${change.roles}.\n\n` +
          `Your sign-in security: ${f.origin}/security\n\nIf it was not you, reset your password now at ${f.origin}/password-reset and tell the account owner.`,
      };
    case 'roles_changed':
      return {
        subject: 'Your roles in a Strongroom account changed',
        text: `${change.by} changed your roles in the Strongroom account ${f.accountId} at ${f.when}.\n\nBefore: ${change.before}\nNow: ${change.after}\n\n` +
          'If you did not expect this, ask an administrator of the account why.',
      };
    case 'removed':
      return {
        subject: 'You were removed from a Strongroom account',
        text: `${change.by} removed you from the Strongroom account ${f.accountId} at ${f.when} (your roles were: ${change.roles}). ` +
          'Your sessions in it lost access at once.\n\nIf you did not expect this, ask an administrator of the account why.',
      };
  }
}

function administrator(change: TeamChange, f: Facts): { subject: string; text: string } {
  const review = `\n\nReview the team: ${f.origin}/team\n\nIf nobody in your team expected this, undo it there and review the audit log.`;
  switch (change.kind) {
    case 'joined':
      return {
        subject: 'Strongroom security: a new member joined your account',
        text: `${f.member} joined the Strongroom account ${f.accountId} at ${f.when}, invited by ${change.invitedBy}. Roles: ${change.roles}.${review}`,
      };
    case 'roles_changed':
      return {
        subject: 'Strongroom security: a member\'s roles changed',
        text: `${change.by} changed the roles of ${f.member} in the Strongroom account ${f.accountId} at ${f.when}.\n\nBefore: ${change.before}\nNow: ${change.after}${review}`,
      };
    case 'removed':
      return {
        subject: 'Strongroom security: a member was removed',
        text: `${change.by} removed ${f.member} (roles: ${change.roles}) from the Strongroom account ${f.accountId} at ${f.when}.${review}`,
      };
  }
}

export function teamChangeEmail(to: string, change: TeamChange, facts: Facts): MailMessage {
  const body = facts.audience === 'member' ? member(change, facts) : administrator(change, facts);
  return { kind: `team_${change.kind}_${facts.audience}`, to, subject: body.subject, text: body.text + ending(facts.audience) };
}
