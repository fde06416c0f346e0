// Queries on vault_authorizations. Amounts, statuses and references only: no card data here.
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;
export type AuthorizationRow = Selectable<VaultDatabase['vault_authorizations']>;

export function createAuthorizationStore(db: Kysely<VaultDatabase>) {
  return {
    async findByCharge(accountId: string, chargeId: string, tx: Db = db): Promise<AuthorizationRow | undefined> {
      return tx.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('charge_id', '=', chargeId).executeTakeFirst();
    },
    /** Locked for the caller's transaction (one operation at a time per authorization). */
    async lock(tx: Transaction<VaultDatabase>, accountId: string, id: string): Promise<AuthorizationRow | undefined> {
      return tx.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    },
    async find(accountId: string, id: string): Promise<AuthorizationRow | undefined> {
      return db.selectFrom('vault_authorizations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    async insert(tx: Transaction<VaultDatabase>, row: Insertable<VaultDatabase['vault_authorizations']>): Promise<AuthorizationRow> {
      return tx.insertInto('vault_authorizations').values(row).returningAll().executeTakeFirstOrThrow();
    },
    async update(tx: Transaction<VaultDatabase>, id: string, change: Updateable<VaultDatabase['vault_authorizations']>): Promise<AuthorizationRow> {
      return tx.updateTable('vault_authorizations').set({ ...change, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },
  };
}

export type AuthorizationStore = ReturnType<typeof createAuthorizationStore>;
