// mfa/'s side of the afterPassword seam (auth/after-password.ts): after a right password (sign-in,
// password reset, sign-up confirmation alike, so a reset never skips the second factor), a user
// with a second factor must prove it, and one whose account or role requires a factor they lack
// must enrol it, both before any session exists. Everyone else is signed in at once.
import type { AfterPassword, MfaEnrolled } from '../auth/after-password.ts';
import type { FactorStore } from './factors.store.ts';
import { hasSecondFactor, type MfaPolicy } from './mfa-policy.ts';
import type { PendingSignIns } from './pending-sign-in.ts';
import { ENROL_PATH, SECOND_FACTOR_PATH } from './sign-in-factor.routes.ts';

export function createSecondFactorGate(deps: { factors: FactorStore; policy: MfaPolicy; pending: PendingSignIns }) {
  const { factors, policy, pending } = deps;

  const afterPassword: AfterPassword = async (user, { reply, purpose, next }) => {
    const [summary, requirement] = await Promise.all([factors.summary(user.userId), policy.requirementFor(user.userId, user.accountId)]);
    const enrolled = hasSecondFactor(summary);
    if (!enrolled && !requirement.accountRequiresMfa && !requirement.webauthnOnly) return { kind: 'complete' };
    const stage = enrolled ? 'verify' : 'enrol';
    await pending.start(reply, {
      user_id: user.userId, account_id: user.accountId, purpose, next, stage, webauthn_only: requirement.webauthnOnly,
    });
    return { kind: 'redirect', location: stage === 'verify' ? SECOND_FACTOR_PATH : ENROL_PATH };
  };

  const mfaEnrolled: MfaEnrolled = async (userId) => hasSecondFactor(await factors.summary(userId));

  return { afterPassword, mfaEnrolled };
}
