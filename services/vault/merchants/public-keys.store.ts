// Queries on vault_public_keys: the hashes of merchants' public keys, as the api last pushed them.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

export type PublicKeyEntry = { key_id: string; key_hash: string; livemode: boolean };

export function createPublicKeyStore(db: Kysely<VaultDatabase>) {
  return {
    async findByHash(keyHash: string) {
      return db.selectFrom('vault_public_keys').select(['key_id', 'account_id', 'livemode']).where('key_hash', '=', keyHash).executeTakeFirst();
    },
    /** The account's keys become exactly `keys`. Returns the key ids added and removed. */
    async replace(tx: Transaction<VaultDatabase>, accountId: string, keys: readonly PublicKeyEntry[]) {
      const before = await tx.selectFrom('vault_public_keys').select(['key_id', 'key_hash']).where('account_id', '=', accountId).forUpdate().execute();
      const wanted = new Set(keys.map((key) => key.key_hash));
      const removed = before.filter((row) => !wanted.has(row.key_hash));
      if (removed.length > 0) await tx.deleteFrom('vault_public_keys').where('key_hash', 'in', removed.map((row) => row.key_hash)).execute();
      const known = new Set(before.map((row) => row.key_hash));
      const added = keys.filter((key) => !known.has(key.key_hash));
      if (added.length > 0) {
        // A hash already held by another account is a conflict the primary key refuses: the api never reuses keys.
        await tx.insertInto('vault_public_keys').values(added.map((key) => ({ ...key, account_id: accountId }))).execute();
      }
      return { added: added.map((key) => key.key_id), removed: removed.map((row) => row.key_id) };
    },
  };
}

export type PublicKeyStore = ReturnType<typeof createPublicKeyStore>;
