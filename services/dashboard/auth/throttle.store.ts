// Throttle counters in PostgreSQL (shared by every dashboard instance). One short transaction
// locks the rows involved (in a fixed order, so two requests never deadlock), decides, and counts.
import { createHash } from 'node:crypto';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase, ThrottleScope } from '../db.ts';
import type { DelayRule, LockoutRule } from '../policy-profiles.ts';
import { countAttempt, decide, succeeded, type ThrottleDecision, type ThrottleState } from './throttle.ts';

export type ThrottleCheck = { scope: ThrottleScope; key: string; rule: DelayRule; lockout?: LockoutRule };

/** Emails are keyed by their SHA-256: the table never lists addresses that have no account. */
export function emailKey(email: string): string {
  return createHash('sha256').update(email, 'utf8').digest('hex');
}

/** IPv6 clients are counted per /64 (one customer's network), IPv4 per address: lib/http `networkKey`. */
export { networkKey } from '#lib/http/index.ts';

const order = (a: ThrottleCheck, b: ThrottleCheck) => (a.scope + a.key < b.scope + b.key ? -1 : 1);

export function createThrottleStore(db: Kysely<DashboardDatabase>, now: () => Date = () => new Date()) {
  return {
    /** Decides and, when allowed, counts the attempt on every counter. Refused: the longest wait, locks first. */
    async attempt(checks: readonly ThrottleCheck[]): Promise<ThrottleDecision> {
      const sorted = [...checks].sort(order);
      return db.transaction().execute(async (tx) => {
        const at = now();
        const states: ThrottleState[] = [];
        for (const check of sorted) {
          await tx.insertInto('auth_throttle').values({ scope: check.scope, key: check.key, failures: 0 })
            .onConflict((oc) => oc.columns(['scope', 'key']).doNothing()).execute();
          const row = await tx.selectFrom('auth_throttle').select(['failures', 'last_failure_at', 'locked_until'])
            .where('scope', '=', check.scope).where('key', '=', check.key).forUpdate().executeTakeFirstOrThrow();
          states.push({ failures: row.failures, lastFailureAt: row.last_failure_at, lockedUntil: row.locked_until });
        }
        const refusals = sorted.map((check, i) => decide(states[i]!, at, check.rule)).filter((d) => !d.allowed);
        if (refusals.length > 0) {
          refusals.sort((a, b) => Number(b.locked) - Number(a.locked) || b.retryAfterMs - a.retryAfterMs);
          return refusals[0]!;
        }
        for (const [i, check] of sorted.entries()) {
          const next = countAttempt(states[i]!, at, check.rule, check.lockout);
          await tx.updateTable('auth_throttle')
            .set({ failures: next.failures, last_failure_at: next.lastFailureAt, locked_until: next.lockedUntil })
            .where('scope', '=', check.scope).where('key', '=', check.key).execute();
        }
        return { allowed: true } as const;
      });
    },

    /** The counted attempt succeeded (sign-in): the account starts again, the network gets its attempt back. */
    async succeeded(checks: readonly ThrottleCheck[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        for (const check of [...checks].sort(order)) {
          if (check.scope !== 'account' && check.scope !== 'ip') continue;
          const row = await tx.selectFrom('auth_throttle').select(['failures', 'last_failure_at', 'locked_until'])
            .where('scope', '=', check.scope).where('key', '=', check.key).forUpdate().executeTakeFirst();
          if (!row) continue;
          const next = succeeded({ failures: row.failures, lastFailureAt: row.last_failure_at, lockedUntil: row.locked_until }, check.scope);
          await tx.updateTable('auth_throttle')
            .set({ failures: next.failures, last_failure_at: next.lastFailureAt, locked_until: next.lockedUntil })
            .where('scope', '=', check.scope).where('key', '=', check.key).execute();
        }
      });
    },

    /** A password reset proves the mailbox: the account's failures and lock are cleared. */
    clearAccount: (email: string) =>
      db.deleteFrom('auth_throttle').where('scope', '=', 'account').where('key', '=', emailKey(email)).execute(),
  };
}
export type ThrottleStore = ReturnType<typeof createThrottleStore>;
