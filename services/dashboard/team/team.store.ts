// Queries on memberships and custom roles. Every query is scoped by account: another account's
// member or role is simply not found. `lockTeam` is the serialization point of every team change.
import type { Kysely, Selectable, Transaction } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Tx = Transaction<DashboardDatabase>;
type Db = Kysely<DashboardDatabase> | Tx;
export type CustomRoleRow = Selectable<DashboardDatabase['team_roles']>;
export type MemberRow = { user_id: string; email: string; roles: string[]; created_at: Date };

export function createTeamStore(db: Kysely<DashboardDatabase>) {
  return {
    /**
     * Locks every membership row of the account until the transaction ends and returns them. Two
     * team changes in one account run one after the other, so checks such as "the last Owner" and
     * "the actor still holds what it grants" cannot race.
     */
    lockTeam: (tx: Tx, accountId: string) =>
      tx.selectFrom('memberships').select(['user_id', 'roles']).where('account_id', '=', accountId)
        .orderBy('user_id').forUpdate().execute(),
    listMembers: (accountId: string, tx: Db = db): Promise<MemberRow[]> =>
      tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['memberships.user_id', 'users.email', 'memberships.roles', 'memberships.created_at'])
        .where('memberships.account_id', '=', accountId).orderBy('memberships.created_at').orderBy('memberships.user_id').execute(),
    isMemberByEmail: async (tx: Db, accountId: string, email: string) =>
      (await tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('memberships.user_id')
        .where('memberships.account_id', '=', accountId).where('users.email', '=', email).executeTakeFirst()) !== undefined,
    insertMember: (tx: Tx, row: { user_id: string; account_id: string; roles: string[] }) =>
      tx.insertInto('memberships').values(row).execute(),
    setRoles: (tx: Tx, accountId: string, userId: string, roles: string[]) =>
      tx.updateTable('memberships').set({ roles }).where('account_id', '=', accountId).where('user_id', '=', userId).execute(),
    deleteMember: (tx: Tx, accountId: string, userId: string) =>
      tx.deleteFrom('memberships').where('account_id', '=', accountId).where('user_id', '=', userId).execute(),
    findUser: (tx: Db, userId: string) =>
      tx.selectFrom('users').select(['id', 'email', 'email_verified']).where('id', '=', userId).executeTakeFirst(),

    customRoles: (accountId: string, tx: Db = db): Promise<CustomRoleRow[]> =>
      tx.selectFrom('team_roles').selectAll().where('account_id', '=', accountId).orderBy('name').execute(),
    findCustomRole: (tx: Db, accountId: string, id: string) =>
      tx.selectFrom('team_roles').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst(),
    insertCustomRole: (tx: Tx, row: {
      id: string; account_id: string; name: string; description: string; permissions: string[]; phishing_resistant_mfa: boolean; created_by: string;
    }) => tx.insertInto('team_roles').values(row).returningAll().executeTakeFirstOrThrow(),
    updateCustomRole: (tx: Tx, accountId: string, id: string, change: { name: string; description: string; permissions: string[]; phishing_resistant_mfa: boolean }) =>
      tx.updateTable('team_roles').set({ ...change, updated_at: new Date() }).where('account_id', '=', accountId).where('id', '=', id)
        .returningAll().executeTakeFirstOrThrow(),
    deleteCustomRole: (tx: Tx, accountId: string, id: string) =>
      tx.deleteFrom('team_roles').where('account_id', '=', accountId).where('id', '=', id).execute(),
    /** Members and open invitations that hold the role (a role in use cannot be deleted). */
    async roleUse(tx: Tx, accountId: string, id: string): Promise<{ members: number; invitations: number }> {
      const [members, invitations] = await Promise.all([
        tx.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId).where((eb) => eb(eb.val(id), '=', eb.fn.any('roles'))).executeTakeFirstOrThrow(),
        tx.selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountId).where('accepted_at', 'is', null).where('revoked_at', 'is', null)
          .where((eb) => eb(eb.val(id), '=', eb.fn.any('roles'))).executeTakeFirstOrThrow(),
      ]);
      return { members: Number(members.n), invitations: Number(invitations.n) };
    },
  };
}
export type TeamStore = ReturnType<typeof createTeamStore>;
