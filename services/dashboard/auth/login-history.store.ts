// The login history: one row per sign-in attempt on a known user (success or failure, how, from where).
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { ClientInfo } from '../sessions/client.ts';

export type LoginEvent = {
  userId: string; accountId: string | null; outcome: 'success' | 'failure'; reason: string | null; factor: string; client: ClientInfo;
};

export function createLoginHistoryStore(db: Kysely<DashboardDatabase>) {
  return {
    record: (tx: Transaction<DashboardDatabase>, event: LoginEvent) =>
      tx.insertInto('login_events').values({
        user_id: event.userId, account_id: event.accountId, outcome: event.outcome, reason: event.reason, factor: event.factor,
        ip: event.client.ip, country: event.client.country, device: event.client.device,
      }).execute(),

    /** The distinct (device, country) pairs of the user's successful sign-ins (new-device.ts). */
    successfulPlaces: (tx: Transaction<DashboardDatabase>, userId: string) =>
      tx.selectFrom('login_events').select(['device', 'country']).distinct()
        .where('user_id', '=', userId).where('outcome', '=', 'success').execute(),

    list: (userId: string, limit = 100) =>
      db.selectFrom('login_events').select(['id', 'at', 'outcome', 'reason', 'factor', 'ip', 'country', 'device'])
        .where('user_id', '=', userId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute(),
  };
}
export type LoginHistoryStore = ReturnType<typeof createLoginHistoryStore>;
