// Replacing a user's password, the part a reset link and the profile page share: the new password
// must pass the policy profile (its minimum is lower once MFA is enrolled, NIST only) and must not
// be one of the last N (PCI DSS 8.3.7, the current one included); the change keeps the old hash in
// the history and voids every open reset link of the user (a link mailed earlier must not undo it).
import type { Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import type { UserStore } from '../users/users.store.ts';
import { hashPassword, verifyPassword } from '../users/passwords.ts';
import type { MfaEnrolled } from './after-password.ts';
import { checkNewPassword } from './password-policy.ts';

export type PasswordVetting = { ok: true; passwordHash: string } | { ok: false; problems: string[] };

export function createPasswordChange(deps: { users: UserStore; profile: PolicyProfile; mfaEnrolled: MfaEnrolled }) {
  const { users, profile } = deps;
  return {
    /** The policy, then the history; the new Argon2id hash when both pass. */
    async vet(user: { userId: string; email: string }, password: string): Promise<PasswordVetting> {
      const verdict = checkNewPassword(password, profile, { email: user.email, mfaEnrolled: await deps.mfaEnrolled(user.userId) });
      if (!verdict.ok) return verdict;
      for (const previous of await users.recentPasswordHashes(user.userId, profile.password.notLastN)) {
        if (await verifyPassword(previous, password)) {
          return { ok: false, problems: [`Choose a password you have not used recently (not one of your last ${profile.password.notLastN}).`] };
        }
      }
      return { ok: true, passwordHash: await hashPassword(password) };
    },

    /**
     * Inside the caller's transaction: the new hash (the old one to the history); open reset links and
     * open email-change links voided (one asked for by whoever knew the old password dies with it).
     */
    async apply(tx: Transaction<DashboardDatabase>, userId: string, passwordHash: string, at: Date): Promise<void> {
      await tx.updateTable('password_resets').set({ used_at: at }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
      await tx.updateTable('email_changes').set({ used_at: at }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
      await users.setPassword(tx, userId, passwordHash);
    },
  };
}
export type PasswordChange = ReturnType<typeof createPasswordChange>;
