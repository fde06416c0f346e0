import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

type Db = Kysely<ApiDatabase> | Transaction<ApiDatabase>;

export function createAccountStore(db: Kysely<ApiDatabase>) {
  return {
    insertAccount: (tx: Db, account: { id: string; email: string; name: string }) =>
      tx.insertInto('accounts').values(account).execute(),
    insertKey: (tx: Db, key: ApiDatabase['api_keys'] extends infer K ? Omit<K, 'created_at' | 'last_used_at' | 'last_used_ip' | 'expires_at' | 'ip_allowlist'> : never) =>
      tx.insertInto('api_keys').values(key).execute(),
    findAccount: (id: string) => db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst(),
    /** Active secret key by hash, with its account. */
    findSecretKey: (hash: string) =>
      db.selectFrom('api_keys').select(['id', 'account_id', 'livemode', 'ip_allowlist'])
        .where('secret_hash', '=', hash)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
        .executeTakeFirst(),
    touchKey: (id: string, ip: string) =>
      db.updateTable('api_keys').set({ last_used_at: new Date(), last_used_ip: ip }).where('id', '=', id).execute(),
  };
}
export type AccountStore = ReturnType<typeof createAccountStore>;
