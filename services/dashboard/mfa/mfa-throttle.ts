// Failed second-factor attempts, per user: growing delays, then a lock. Only someone who already
// knows the password (or holds a signed-in session, for step-up) reaches a second-factor check, so
// counting per user lets no stranger lock anyone out. Attempts are counted before the check, in a
// locked row (auth/throttle.ts), so parallel guesses cannot share one count. A 6-digit code with a
// ±1 step window is guessed with chance 3 in a million per try; 10 tries an hour and an email at
// every lock keep a patient attacker visible long before the odds become interesting.
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { DelayRule, LockoutRule } from '../policy-profiles.ts';
import { countAttempt, decide, EMPTY, type ThrottleDecision, type ThrottleState } from '../auth/throttle.ts';

const MINUTE = 60_000;
export const MFA_DELAYS: DelayRule = { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 5 * MINUTE, forgetAfterMs: 24 * 60 * MINUTE };
export const MFA_LOCKOUT: LockoutRule = { afterFailures: 10, lockMs: 60 * MINUTE };

export type MfaAttempt = ThrottleDecision & { /** This attempt reached the lockout (the user is told by email). */ lockedNow?: boolean };

export function createMfaThrottle(db: Kysely<DashboardDatabase>, now: () => Date = () => new Date()) {
  return {
    /** Decides and, when allowed, counts one attempt (as a failure until `succeeded`). */
    async attempt(userId: string): Promise<MfaAttempt> {
      return db.transaction().execute(async (tx) => {
        const at = now();
        await tx.insertInto('mfa_throttle').values({ user_id: userId, failures: 0 }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
        const row = await tx.selectFrom('mfa_throttle').select(['failures', 'last_failure_at', 'locked_until'])
          .where('user_id', '=', userId).forUpdate().executeTakeFirstOrThrow();
        const state: ThrottleState = { failures: row.failures, lastFailureAt: row.last_failure_at, lockedUntil: row.locked_until };
        const decision = decide(state, at, MFA_DELAYS);
        if (!decision.allowed) return decision;
        const next = countAttempt(state, at, MFA_DELAYS, MFA_LOCKOUT);
        await tx.updateTable('mfa_throttle').set({ failures: next.failures, last_failure_at: next.lastFailureAt, locked_until: next.lockedUntil })
          .where('user_id', '=', userId).execute();
        return { allowed: true, lockedNow: next.lockedUntil !== null } as const;
      });
    },

    /** The counted attempt was right: the counter starts again. */
    async succeeded(userId: string): Promise<void> {
      await db.updateTable('mfa_throttle').set({ failures: EMPTY.failures, last_failure_at: null, locked_until: null }).where('user_id', '=', userId).execute();
    },
  };
}
export type MfaThrottle = ReturnType<typeof createMfaThrottle>;
