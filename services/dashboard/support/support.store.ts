// Queries on the support tables (0008_support.sql). Every read names the account: a request of
// another account is simply not found.
import type { Insertable, Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase, SupportEventKind } from '../db.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;
export type SupportRequestRow = Selectable<DashboardDatabase['support_requests']>;
export type SupportEventRow = Selectable<DashboardDatabase['support_events']> & { actor_email: string | null };
export type SupportEventInput = { request_id: string; account_id: string; kind: SupportEventKind; actor_type: 'user' | 'staff'; actor_id: string; detail?: string };

export function createSupportStore(db: Kysely<DashboardDatabase>) {
  return {
    insertRequest: (tx: Db, row: Insertable<DashboardDatabase['support_requests']>) => tx.insertInto('support_requests').values(row).execute(),
    insertEvent: (tx: Db, event: SupportEventInput) => tx.insertInto('support_events').values(event).execute(),

    list: (filter: { accountId?: string; status?: string; limit: number }, tx: Db = db) => {
      let query = tx.selectFrom('support_requests').selectAll();
      if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status as SupportRequestRow['status']);
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    },

    /** One request; `accountId` undefined only for the desk, which serves every account. */
    find: (id: string, accountId: string | undefined, tx: Db = db) => {
      let query = tx.selectFrom('support_requests').selectAll().where('id', '=', id);
      if (accountId !== undefined) query = query.where('account_id', '=', accountId);
      return query.executeTakeFirst();
    },
    lock: (tx: Transaction<DashboardDatabase>, id: string, accountId: string | undefined) => {
      let query = tx.selectFrom('support_requests').selectAll().where('id', '=', id);
      if (accountId !== undefined) query = query.where('account_id', '=', accountId);
      return query.forUpdate().executeTakeFirst();
    },
    decide: (tx: Db, id: string, decision: { status: 'verified' | 'rejected'; verification?: 'session' | 'code'; verifiedBy?: string; at: Date }) =>
      tx.updateTable('support_requests')
        .set({ status: decision.status, verification: decision.verification ?? null, verified_by: decision.verifiedBy ?? null, decided_at: decision.at })
        .where('id', '=', id).where('status', '=', 'unverified').executeTakeFirst(),

    events: (requestId: string, tx: Db = db): Promise<SupportEventRow[]> =>
      tx.selectFrom('support_events').leftJoin('users', (join) => join.onRef('users.id', '=', 'support_events.actor_id').on('support_events.actor_type', '=', 'user'))
        .selectAll('support_events').select('users.email as actor_email')
        .where('support_events.request_id', '=', requestId).orderBy('support_events.id').execute(),

    /** Failed code checks on one request, and on the account since `since` (the throttle). */
    async codeFailures(tx: Db, requestId: string, accountId: string, since: Date): Promise<{ request: number; account: number }> {
      const row = await tx.selectFrom('support_events')
        .select((eb) => [
          eb.fn.count<string>('id').filterWhere('request_id', '=', requestId).as('request'),
          eb.fn.count<string>('id').filterWhere('at', '>=', since).as('account'),
        ])
        .where('account_id', '=', accountId).where('kind', '=', 'code_failed').executeTakeFirstOrThrow();
      return { request: Number(row.request), account: Number(row.account) };
    },

    memberByEmail: (tx: Db, accountId: string, email: string) =>
      tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select(['users.id', 'users.email'])
        .where('memberships.account_id', '=', accountId).where('users.email', '=', email).executeTakeFirst(),
    accountHasMembers: async (tx: Db, accountId: string) =>
      (await tx.selectFrom('memberships').select('user_id').where('account_id', '=', accountId).limit(1).executeTakeFirst()) !== undefined,

    insertCode: (tx: Db, row: { account_id: string; user_id: string; code_hash: Buffer; created_at: Date; expires_at: Date }) => tx.insertInto('support_codes').values(row).execute(),
    /** Earlier live codes of the member are spent when a new one is made: one live code at a time. */
    supersedeCodes: (tx: Db, accountId: string, userId: string, at: Date) =>
      tx.updateTable('support_codes').set({ used_at: at }).where('account_id', '=', accountId).where('user_id', '=', userId).where('used_at', 'is', null).execute(),
    lockLiveCodes: (tx: Transaction<DashboardDatabase>, accountId: string, userId: string, at: Date) =>
      tx.selectFrom('support_codes').select(['id', 'code_hash']).where('account_id', '=', accountId).where('user_id', '=', userId)
        .where('used_at', 'is', null).where('expires_at', '>', at).orderBy('id').forUpdate().execute(),
    spendCode: (tx: Db, id: string, requestId: string, at: Date) =>
      tx.updateTable('support_codes').set({ used_at: at, used_for: requestId }).where('id', '=', id).execute(),
  };
}
export type SupportStore = ReturnType<typeof createSupportStore>;
