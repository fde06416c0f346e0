// Queries on invitations, scoped by account (another account's invitation is not found), except the
// lookup by token hash, which is how an invitee (not yet a member anywhere) reaches one.
import type { Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Tx = Transaction<DashboardDatabase>;
type Db = Kysely<DashboardDatabase> | Tx;
export type InvitationRow = Selectable<DashboardDatabase['invitations']>;

export function createInvitationStore(db: Kysely<DashboardDatabase>) {
  return {
    insert: (tx: Tx, row: { id: string; account_id: string; email: string; roles: string[]; token_hash: Buffer; invited_by: string; expires_at: Date }) =>
      tx.insertInto('invitations').values(row).returningAll().executeTakeFirstOrThrow(),
    /** Revokes the open invitation(s) for an email (a new invitation supersedes the old link). */
    supersede: async (tx: Tx, accountId: string, email: string, by: string, at: Date): Promise<string[]> =>
      (await tx.updateTable('invitations').set({ revoked_at: at, revoked_by: by })
        .where('account_id', '=', accountId).where('email', '=', email)
        .where('accepted_at', 'is', null).where('revoked_at', 'is', null)
        .returning('id').execute()).map((r) => r.id),
    lockById: (tx: Tx, accountId: string, id: string) =>
      tx.selectFrom('invitations').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst(),
    lockByTokenHash: (tx: Tx, tokenHash: Buffer) =>
      tx.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst(),
    findByTokenHash: (tokenHash: Buffer, tx: Db = db) =>
      tx.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    markAccepted: (tx: Tx, id: string, userId: string, at: Date) =>
      tx.updateTable('invitations').set({ accepted_at: at, accepted_by: userId }).where('id', '=', id).execute(),
    markRevoked: (tx: Tx, id: string, by: string, at: Date) =>
      tx.updateTable('invitations').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).execute(),
    /** The account's invitations, newest first (the page shows each one's state: open, accepted, revoked, expired). */
    list: (accountId: string, limit = 100, tx: Db = db) =>
      tx.selectFrom('invitations')
        .select(['id', 'email', 'roles', 'invited_by', 'created_at', 'expires_at', 'accepted_at', 'accepted_by', 'revoked_at', 'revoked_by'])
        .where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute(),
  };
}
export type InvitationStore = ReturnType<typeof createInvitationStore>;
