// Growing delays and lockout, as pure functions of a counter (the store keeps the counters).
// An attempt is counted BEFORE the password is checked (and uncounted on success), so parallel
// attempts cannot all slip through on the same old count.
import type { DelayRule, LockoutRule } from '../policy-profiles.ts';

export type ThrottleState = { failures: number; lastFailureAt: Date | null; lockedUntil: Date | null };
export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number; locked: boolean };

export const EMPTY: ThrottleState = { failures: 0, lastFailureAt: null, lockedUntil: null };

/** Delay owed after `failures` failures: nothing for the free ones, then doubling up to the cap. */
export function delayAfter(failures: number, rule: DelayRule): number {
  if (failures <= rule.freeFailures) return 0;
  const exponent = Math.min(failures - rule.freeFailures - 1, 40);
  return Math.min(rule.baseDelayMs * 2 ** exponent, rule.maxDelayMs);
}

/** The counter as it stands at `now`: an expired lock and long-forgotten failures reset it. */
export function current(state: ThrottleState, now: Date, rule: DelayRule): ThrottleState {
  if (state.lockedUntil !== null && state.lockedUntil <= now) return EMPTY;
  if (state.lastFailureAt !== null && now.getTime() - state.lastFailureAt.getTime() >= rule.forgetAfterMs && state.lockedUntil === null) return EMPTY;
  return state;
}

export function decide(state: ThrottleState, now: Date, rule: DelayRule): ThrottleDecision {
  const live = current(state, now, rule);
  if (live.lockedUntil !== null) return { allowed: false, retryAfterMs: live.lockedUntil.getTime() - now.getTime(), locked: true };
  if (live.lastFailureAt === null) return { allowed: true };
  const wait = live.lastFailureAt.getTime() + delayAfter(live.failures, rule) - now.getTime();
  return wait > 0 ? { allowed: false, retryAfterMs: wait, locked: false } : { allowed: true };
}

/** Counts one attempt (assumed to fail until `succeeded` says otherwise); locks at the limit. */
export function countAttempt(state: ThrottleState, now: Date, rule: DelayRule, lockout?: LockoutRule): ThrottleState {
  const live = current(state, now, rule);
  const failures = live.failures + 1;
  const lockedUntil = lockout !== undefined && failures >= lockout.afterFailures ? new Date(now.getTime() + lockout.lockMs) : null;
  return { failures, lastFailureAt: now, lockedUntil };
}

/** The attempt succeeded: an account's counter starts again; a network's gives back the one attempt. */
export function succeeded(state: ThrottleState, scope: 'account' | 'ip'): ThrottleState {
  if (scope === 'account') return EMPTY;
  return { ...state, failures: Math.max(0, state.failures - 1) };
}
