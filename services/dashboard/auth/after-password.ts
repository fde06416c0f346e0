// The seam between "the password was right" and "signed in". Sign-in, password reset and sign-up
// verification all pass through `afterPassword`; mfa/ replaces the default to demand the second
// factor (and then calls `completeSignIn` itself with that factor). The default completes at once,
// which is right only while no user has a second factor.
import type { FastifyReply, FastifyRequest } from 'fastify';

export type PasswordVerifiedUser = { userId: string; email: string; accountId: string };
export type AfterPasswordPurpose = 'sign_in' | 'password_reset' | 'sign_up';
export type AfterPasswordOutcome = { kind: 'complete' } | { kind: 'redirect'; location: string };

export type AfterPassword = (
  user: PasswordVerifiedUser,
  context: { request: FastifyRequest; reply: FastifyReply; purpose: AfterPasswordPurpose; next: string },
) => Promise<AfterPasswordOutcome>;

export const completeWithPassword: AfterPassword = async () => ({ kind: 'complete' });

/** Seam for mfa/: whether the user has a second factor (the NIST profile then allows 8-character passwords). */
export type MfaEnrolled = (userId: string) => Promise<boolean>;
export const noMfaEnrolled: MfaEnrolled = async () => false;
