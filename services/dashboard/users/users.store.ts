// Queries on users and memberships that sign-in, sign-up and password reset need.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Db = Kysely<DashboardDatabase> | Transaction<DashboardDatabase>;

export type UserRow = { id: string; email: string; password_hash: string; email_verified: boolean };

export function createUserStore(db: Kysely<DashboardDatabase>) {
  return {
    findByEmail: (email: string, tx: Db = db): Promise<UserRow | undefined> =>
      tx.selectFrom('users').select(['id', 'email', 'password_hash', 'email_verified']).where('email', '=', email).executeTakeFirst(),

    findById: (id: string, tx: Db = db): Promise<UserRow | undefined> =>
      tx.selectFrom('users').select(['id', 'email', 'password_hash', 'email_verified']).where('id', '=', id).executeTakeFirst(),

    /** The account a sign-in lands in: the user's oldest membership. */
    async homeAccount(userId: string, tx: Db = db): Promise<string | null> {
      const row = await tx.selectFrom('memberships').select('account_id').where('user_id', '=', userId)
        .orderBy('created_at').orderBy('account_id').limit(1).executeTakeFirst();
      return row?.account_id ?? null;
    },

    insertOwner: async (tx: Transaction<DashboardDatabase>, user: { id: string; email: string; passwordHash: string; accountId: string }) => {
      await tx.insertInto('users').values({ id: user.id, email: user.email, password_hash: user.passwordHash, email_verified: true }).execute();
      await tx.insertInto('memberships').values({ user_id: user.id, account_id: user.accountId, roles: ['owner'] }).execute();
    },

    /** A user with no membership yet (an invitee: accepting the invitation in the same transaction adds it). */
    insertUser: async (tx: Transaction<DashboardDatabase>, user: { id: string; email: string; passwordHash: string; emailVerified: boolean }) => {
      await tx.insertInto('users').values({ id: user.id, email: user.email, password_hash: user.passwordHash, email_verified: user.emailVerified }).execute();
    },

    /** Replaces the password; the old hash goes to the history (PCI DSS 8.3.7). */
    async setPassword(tx: Transaction<DashboardDatabase>, userId: string, passwordHash: string): Promise<void> {
      await tx.insertInto('password_history').columns(['user_id', 'password_hash'])
        .expression(tx.selectFrom('users').select(['id', 'password_hash']).where('id', '=', userId)).execute();
      await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
    },

    /** The profile's email change: only while the address is still `from`; false when it was not. */
    async setEmail(tx: Transaction<DashboardDatabase>, userId: string, from: string, to: string): Promise<boolean> {
      const result = await tx.updateTable('users').set({ email: to }).where('id', '=', userId).where('email', '=', from).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** The current hash and the ones before it, newest first, `count` in all. */
    async recentPasswordHashes(userId: string, count: number): Promise<string[]> {
      if (count <= 0) return [];
      const current = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
      const older = await db.selectFrom('password_history').select('password_hash').where('user_id', '=', userId)
        .orderBy('id', 'desc').limit(count - 1).execute();
      return [...(current ? [current.password_hash] : []), ...older.map((r) => r.password_hash)];
    },
  };
}
export type UserStore = ReturnType<typeof createUserStore>;
