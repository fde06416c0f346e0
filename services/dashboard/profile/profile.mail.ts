// The emails of a sign-in email change: the single-use link to the NEW address (the only email here
// with a token), a notice to the OLD one when it is asked for, and a notice to both once it is done,
// so a change made from a stolen session is seen by the address that is losing the account.
import type { MailMessage } from '../mail/mailer.ts';

const SIGNATURE = '\n\n— Strongroom\nYou received this because it concerns the security of a Strongroom dashboard sign-in.';

export function emailChangeLinkEmail(to: string, input: { origin: string; token: string; hours: number }): MailMessage {
  return {
    kind: 'email_change_link', to, subject: 'Confirm your new Strongroom sign-in email',
    text: 'Someone signed in to the Strongroom dashboard asked to use this address as their sign-in email.\n\n' +
      `To confirm, open this link within ${input.hours} hours, signed in as that user:\n${input.origin}/profile/email/confirm?token=${input.token}\n\n` +
      'The link works once. If it was not you, ignore this email: nothing changes without it.' + SIGNATURE,
  };
}

export function emailChangeRequestedEmail(to: string, input: { origin: string; newEmail: string; when: string; ip: string }): MailMessage {
  return {
    kind: 'email_change_requested', to, subject: 'Strongroom security: a change of your sign-in email was asked for',
    text: `At ${input.when}, from ${input.ip}, your Strongroom dashboard sign-in asked to change its email from this address to ${input.newEmail}. ` +
      'A confirmation link went to the new address; nothing changes until it is opened.\n\n' +
      `If it was not you, someone has your password and your session: change your password at ${input.origin}/profile, ` +
      `sign out every other session at ${input.origin}/activity/sessions, and tell your account owner.` + SIGNATURE,
  };
}

export function emailChangedEmail(to: string, input: { origin: string; oldEmail: string; newEmail: string; when: string; ip: string }): MailMessage {
  return {
    kind: 'email_changed', to, subject: 'Strongroom security: your sign-in email was changed',
    text: `At ${input.when}, from ${input.ip}, the Strongroom dashboard sign-in email was changed from ${input.oldEmail} to ${input.newEmail}. ` +
      'Every other session was signed out, and reset links sent earlier no longer work.\n\n' +
      `If it was not you, tell your account owner now: they can remove the member at ${input.origin}/team.` + SIGNATURE,
  };
}
