// Retention of the dashboard's authentication records, hourly: spent or expired sign-up, reset and
// email-change links after a week, ended sessions after 30 days, login history after a year, password history
// beyond the last four, idle throttle counters after a day. The audit trail keeps what happened;
// these rows only serve the pages.
import type { Logger } from 'pino';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

const DAY = 86_400_000;

export function createRetentionJob(deps: { db: Kysely<DashboardDatabase>; logger: Logger; intervalMs?: number; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function runOnce(): Promise<Record<string, number>> {
    const at = now().getTime();
    const before = (days: number) => new Date(at - days * DAY);
    const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
    return {
      signups: count(await db.deleteFrom('signups').where('expires_at', '<', before(7)).executeTakeFirst()),
      passwordResets: count(await db.deleteFrom('password_resets').where('expires_at', '<', before(7)).executeTakeFirst()),
      emailChanges: count(await db.deleteFrom('email_changes').where('expires_at', '<', before(7)).executeTakeFirst()),
      sessions: count(await db.deleteFrom('sessions').where('ended_at', '<', before(30)).executeTakeFirst()),
      loginEvents: count(await db.deleteFrom('login_events').where('at', '<', before(365)).executeTakeFirst()),
      // Only the last few hashes are ever compared (PCI DSS 8.3.7 asks for four).
      passwordHistory: count(await db.deleteFrom('password_history')
        .where(sql<boolean>`id NOT IN (SELECT h.id FROM password_history h WHERE h.user_id = password_history.user_id ORDER BY h.id DESC LIMIT 4)`)
        .executeTakeFirst()),
      throttle: count(await db.deleteFrom('auth_throttle')
        .where(sql<boolean>`coalesce(last_failure_at, '-infinity') < ${before(1)} AND coalesce(locked_until, '-infinity') < ${new Date(at)}`)
        .executeTakeFirst()),
    };
  }

  return {
    runOnce,
    start(): void {
      const tick = () => {
        running = runOnce().then(
          (removed) => deps.logger.info({ removed }, 'auth retention ran'),
          (error: unknown) => deps.logger.warn({ err: error }, 'auth retention failed; retrying next hour'),
        );
      };
      timer = setInterval(tick, deps.intervalMs ?? 3_600_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}
