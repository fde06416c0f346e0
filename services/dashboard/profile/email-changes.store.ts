// Queries on email_changes (0010_email_changes.sql): pending links are found by the SHA-256 of
// their token and by user; a link is spent by setting used_at, never deleted before retention.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Tx = Transaction<DashboardDatabase>;

export function createEmailChangeStore(db: Kysely<DashboardDatabase>) {
  return {
    insert: (tx: Tx, row: { id: string; user_id: string; old_email: string; new_email: string; token_hash: Buffer; expires_at: Date }) =>
      tx.insertInto('email_changes').values(row).execute(),

    /** Spends every open link of the user (a new request replaces the old; a confirmed change ends the rest). */
    voidOpen: (tx: Tx, userId: string, at: Date) =>
      tx.updateTable('email_changes').set({ used_at: at }).where('user_id', '=', userId).where('used_at', 'is', null).execute(),

    /** The user's open, unexpired link whose token hashes to `tokenHash`; locked when `tx` is given. */
    open(userId: string, tokenHash: Buffer, at: Date, tx?: Tx) {
      const query = (tx ?? db).selectFrom('email_changes').select(['id', 'old_email', 'new_email', 'expires_at'])
        .where('token_hash', '=', tokenHash).where('user_id', '=', userId).where('used_at', 'is', null).where('expires_at', '>', at);
      return (tx ? query.forUpdate() : query).executeTakeFirst();
    },

    /** The newest open, unexpired request of the user (shown on the profile page). */
    pending: (userId: string, at: Date) =>
      db.selectFrom('email_changes').select(['new_email', 'expires_at']).where('user_id', '=', userId)
        .where('used_at', 'is', null).where('expires_at', '>', at).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
  };
}
export type EmailChangeStore = ReturnType<typeof createEmailChangeStore>;
