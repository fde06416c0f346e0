// The emails mfa/ sends: every change to a user's second factors goes to that user (so a change
// they did not make is noticed), and a second-factor lockout says someone knows their password.
import type { MailMessage } from '../mail/mailer.ts';

const SIGNATURE = '\n\n— Strongroom\nYou received this because it concerns the security of your Strongroom dashboard sign-in.';

export type FactorChange =
  | 'totp_added' | 'totp_removed' | 'webauthn_added' | 'webauthn_removed' | 'recovery_codes_created' | 'recovery_code_used';

const WORDS: Readonly<Record<FactorChange, string>> = {
  totp_added: 'An authenticator app was added to your two-step verification',
  totp_removed: 'The authenticator app was removed from your two-step verification',
  webauthn_added: 'A security key or passkey was added to your two-step verification',
  webauthn_removed: 'A security key or passkey was removed from your two-step verification',
  recovery_codes_created: 'New recovery codes were created (the old ones no longer work)',
  recovery_code_used: 'One of your recovery codes was used (it no longer works)',
};

export function factorChangedEmail(to: string, input: { change: FactorChange; detail?: string; when: string; ip: string; origin: string }): MailMessage {
  const what = WORDS[input.change];
  return {
    kind: `mfa_${input.change}`, to, subject: `Strongroom security: ${what.toLowerCase()}`,
    text: `${what}${input.detail ? ` ("${input.detail}")` : ''} at ${input.when}, from ${input.ip}.\n\n` +
      `Review your sign-in methods: ${input.origin}/security\n\n` +
      'If it was not you, reset your password now, remove what you do not recognise, and tell your account owner.' + SIGNATURE,
  };
}

export function mfaLockedEmail(to: string, input: { when: string; ip: string; origin: string; minutes: number }): MailMessage {
  return {
    kind: 'mfa_locked', to, subject: 'Strongroom security: too many wrong second-factor attempts',
    text: `Someone entered your password correctly but failed the second step of sign-in too many times (last at ${input.when}, from ${input.ip}). ` +
      `The second step is locked for ${input.minutes} minutes.\n\n` +
      `If it was not you, your password is known to someone else: change it now at ${input.origin}/password-reset and tell your account owner.` + SIGNATURE,
  };
}
