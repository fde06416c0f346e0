// The dashboard's emails, as plain text. Links carry a single-use token in the query string (the
// request log keeps only the path, and pages send no Referer).
import type { MailMessage } from './mailer.ts';

const SIGNATURE = '\n\n— Strongroom\nYou received this because someone entered this address on the Strongroom dashboard.';

export function verificationEmail(to: string, input: { origin: string; token: string; businessName: string }): MailMessage {
  const link = `${input.origin}/verify-email?token=${input.token}`;
  return {
    kind: 'signup_verification', to, subject: 'Confirm your email to create your Strongroom account',
    text: `Someone (hopefully you) asked to create the Strongroom merchant account "${input.businessName}" with this email address.\n\n` +
      `To confirm, open this link within 24 hours and enter the password you chose:\n${link}\n\n` +
      'If it was not you, ignore this email: nothing is created without the link and the password.' + SIGNATURE,
  };
}

export function alreadyRegisteredEmail(to: string, input: { origin: string }): MailMessage {
  return {
    kind: 'signup_existing', to, subject: 'You already have a Strongroom account',
    text: 'Someone tried to create a Strongroom account with this email address, but it already has one.\n\n' +
      `Sign in: ${input.origin}/sign-in\nForgot your password? ${input.origin}/password-reset\n\n` +
      'If it was not you, you can ignore this email: your account is unchanged.' + SIGNATURE,
  };
}

export function passwordResetEmail(to: string, input: { origin: string; token: string }): MailMessage {
  const link = `${input.origin}/password-reset/choose?token=${input.token}`;
  return {
    kind: 'password_reset', to, subject: 'Reset your Strongroom password',
    text: `To choose a new password, open this link within 1 hour:\n${link}\n\n` +
      'The link works once. If you did not ask for it, ignore this email: your password is unchanged.' + SIGNATURE,
  };
}

export function noAccountEmail(to: string, input: { origin: string }): MailMessage {
  return {
    kind: 'password_reset_unknown', to, subject: 'Strongroom password reset',
    text: 'Someone asked to reset the Strongroom password for this email address, but no account uses it.\n\n' +
      `To create one: ${input.origin}/sign-up\n\nIf it was not you, ignore this email.` + SIGNATURE,
  };
}

export function passwordChangedEmail(to: string, input: { origin: string; when: string; ip: string }): MailMessage {
  return {
    kind: 'password_changed', to, subject: 'Your Strongroom password was changed',
    text: `Your Strongroom password was changed at ${input.when} from ${input.ip}. Every other session was signed out.\n\n` +
      `If it was not you, reset it now: ${input.origin}/password-reset and tell your account owner.` + SIGNATURE,
  };
}

export function newDeviceSignInEmail(to: string, input: { origin: string; when: string; device: string; ip: string; country: string }): MailMessage {
  return {
    kind: 'new_device_sign_in', to, subject: 'Strongroom security: a sign-in from a new device or place',
    text: `Your Strongroom dashboard account was signed in to from a device or country it had not been used from before:\n\n` +
      `Time: ${input.when}\nDevice: ${input.device}\nIP address: ${input.ip}\nCountry: ${input.country}\n\n` +
      `If it was you, there is nothing to do. If not, sign that session out at ${input.origin}/activity/sessions, ` +
      'change your password and tell your account owner.\n\n— Strongroom\nYou received this because it concerns the security of your Strongroom dashboard sign-in.',
  };
}
