// The current password, asked again before a password or email change even after a fresh step-up:
// a hijacked session (or one left open) must not be enough to take the account over. Counted on the
// same throttle rows as sign-in (the account's email and the network), before the check, so a
// session cannot be used to guess the password faster than the sign-in page allows.
import type { ThrottleCheck, ThrottleStore } from '../auth/throttle.store.ts';
import type { UserStore } from '../users/users.store.ts';
import { verifyPassword } from '../users/passwords.ts';

export type CurrentPasswordCheck = { kind: 'ok' } | { kind: 'wrong' } | { kind: 'throttled'; retryAfterMs: number };

export function createCurrentPasswordCheck(deps: {
  users: Pick<UserStore, 'findById'>;
  throttle: Pick<ThrottleStore, 'attempt' | 'succeeded'>;
  /** auth/sign-in.service.ts `throttleChecks`: the sign-in page's own counters. */
  throttleChecks: (email: string, ip: string) => ThrottleCheck[];
}) {
  return async function checkCurrentPassword(user: { userId: string; email: string }, password: string, ip: string): Promise<CurrentPasswordCheck> {
    const checks = deps.throttleChecks(user.email, ip);
    const decision = await deps.throttle.attempt(checks);
    if (!decision.allowed) return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
    const row = await deps.users.findById(user.userId);
    if (!row || !(await verifyPassword(row.password_hash, password))) return { kind: 'wrong' };
    await deps.throttle.succeeded(checks);
    return { kind: 'ok' };
  };
}
export type CheckCurrentPassword = ReturnType<typeof createCurrentPasswordCheck>;
