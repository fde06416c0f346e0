// What a new password must be (README.md, "Policy profiles"): NFKC-normalised, counted in Unicode
// code points, between the profile's minimum (lower once MFA is enrolled, NIST only) and maximum,
// letters and digits under PCI only, and not guessable: zxcvbn-ts score at least 3 with the user's
// own context (email, business name, "strongroom") counted as known words. No expiry, no hints.
import type { PolicyProfile } from '../policy-profiles.ts';
import { normalizePassword } from '../users/passwords.ts';
import { estimateStrength } from './strength.ts';

export type PasswordContext = { email: string; businessName?: string; mfaEnrolled: boolean };
export type PasswordVerdict = { ok: true } | { ok: false; problems: string[] };

export function minimumLength(profile: PolicyProfile, mfaEnrolled: boolean): number {
  return mfaEnrolled ? profile.password.minLengthWithMfa : profile.password.minLength;
}

/** Words an attacker who knows the user would try first. */
export function contextWords(context: { email: string; businessName?: string }): string[] {
  const email = context.email.toLowerCase();
  const [local = '', domain = ''] = email.split('@');
  const words = [email, local, domain, ...domain.split('.'), 'strongroom', 'strong room', 'dashboard'];
  if (context.businessName) {
    const name = context.businessName.toLowerCase();
    words.push(name, name.replace(/\s+/g, ''), ...name.split(/\s+/));
  }
  return [...new Set(words.filter((word) => word.length >= 3))];
}

export function checkNewPassword(password: string, profile: PolicyProfile, context: PasswordContext): PasswordVerdict {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  const min = minimumLength(profile, context.mfaEnrolled);
  const problems: string[] = [];
  if (length < min) problems.push(`Use at least ${min} characters (this one has ${length}).`);
  if (length > profile.password.maxLength) problems.push(`Use at most ${profile.password.maxLength} characters.`);
  if (profile.password.lettersAndDigits && !(/\p{L}/u.test(normalized) && /\p{Nd}/u.test(normalized))) {
    problems.push('Include both letters and digits.');
  }
  if (problems.length > 0) return { ok: false, problems };
  const strength = estimateStrength(normalized, contextWords(context));
  if (strength.score < profile.password.minScore) {
    const why = strength.warning ? ` ${strength.warning}` : '';
    return { ok: false, problems: [`This password is too easy to guess.${why} Try a longer phrase of unrelated words.`] };
  }
  return { ok: true };
}
