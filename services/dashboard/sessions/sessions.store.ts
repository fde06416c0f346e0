// Session rows. A session is live while ended_at is null; timeouts and revocations end it (the row
// stays for the sessions page history and the audit trail, and the retention job removes it later).
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase, SessionFactor } from '../db.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;

export type SessionRow = {
  id: string; user_id: string; account_id: string; email: string; factor: SessionFactor; mfa_verified_at: Date | null;
  csrf_token: string; ip: string; country: string; device: string; created_at: Date; last_seen_at: Date;
};

export type NewSessionRow = {
  id: string; token_hash: Buffer; user_id: string; account_id: string; factor: SessionFactor; mfa_verified_at: Date | null;
  csrf_token: string; ip: string; country: string; device: string; created_at: Date; last_seen_at: Date;
};

export function createSessionStore(db: Kysely<DashboardDatabase>) {
  return {
    insert: (tx: Db, row: NewSessionRow) => tx.insertInto('sessions').values(row).execute(),

    /** The live session a token hash names, with its user's email. */
    findLive: (tokenHash: Buffer): Promise<SessionRow | undefined> =>
      db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
        .select([
          'sessions.id', 'sessions.user_id', 'sessions.account_id', 'users.email', 'sessions.factor', 'sessions.mfa_verified_at',
          'sessions.csrf_token', 'sessions.ip', 'sessions.country', 'sessions.device', 'sessions.created_at', 'sessions.last_seen_at',
        ])
        .where('sessions.token_hash', '=', tokenHash).where('sessions.ended_at', 'is', null)
        .executeTakeFirst(),

    /** At most one write a minute per session: only when the stored time is older than `before`. */
    touch: (id: string, at: Date, before: Date) =>
      db.updateTable('sessions').set({ last_seen_at: at })
        .where('id', '=', id).where('last_seen_at', '<=', before).where('ended_at', 'is', null).execute(),

    /** Ends one live session; false when it was not live (already ended, or not this user's). */
    async end(tx: Db, where: { id: string; userId?: string }, reason: string, at: Date): Promise<boolean> {
      let query = tx.updateTable('sessions').set({ ended_at: at, end_reason: reason })
        .where('id', '=', where.id).where('ended_at', 'is', null);
      if (where.userId !== undefined) query = query.where('user_id', '=', where.userId);
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Ends every live session of a user except `keep`; returns the ids ended. */
    async endAllOf(tx: Db, userId: string, reason: string, at: Date, keep?: string): Promise<string[]> {
      let query = tx.updateTable('sessions').set({ ended_at: at, end_reason: reason })
        .where('user_id', '=', userId).where('ended_at', 'is', null);
      if (keep !== undefined) query = query.where('id', '!=', keep);
      return (await query.returning('id').execute()).map((r) => r.id);
    },

    rotate: (tx: Db, id: string, change: { token_hash: Buffer; rotated_at: Date; factor?: SessionFactor; mfa_verified_at?: Date | null }) =>
      tx.updateTable('sessions').set(change).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst()
        .then((r) => r.numUpdatedRows > 0n),

    listLive: (userId: string) =>
      db.selectFrom('sessions')
        .select(['id', 'account_id', 'factor', 'ip', 'country', 'device', 'created_at', 'last_seen_at'])
        .where('user_id', '=', userId).where('ended_at', 'is', null)
        .orderBy('last_seen_at', 'desc').limit(200).execute(),

    /** The user's roles in the account, or null when no longer a member. */
    async membershipRoles(userId: string, accountId: string): Promise<string[] | null> {
      const row = await db.selectFrom('memberships').select('roles')
        .where('user_id', '=', userId).where('account_id', '=', accountId).executeTakeFirst();
      return row ? row.roles : null;
    },
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
