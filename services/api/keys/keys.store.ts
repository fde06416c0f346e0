// Queries on api_keys for key management. No read here selects `secret_hash`: a hash leaves the
// database only to authenticate (auth/secret-key.auth.ts), never towards a view.
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';

/** The columns a key view may show (no hash). */
export const KEY_VIEW_COLUMNS = [
  'id', 'account_id', 'kind', 'livemode', 'public_value', 'hint', 'ip_allowlist', 'created_at', 'expires_at', 'last_used_at', 'last_used_ip',
] as const;

export type KeyRow = {
  id: string; account_id: string; kind: 'public' | 'secret'; livemode: boolean; public_value: string | null; hint: string;
  ip_allowlist: string[] | null; created_at: Date; expires_at: Date | null; last_used_at: Date | null; last_used_ip: string | null;
};

export type NewKey = { id: string; account_id: string; kind: 'public' | 'secret'; livemode: boolean; public_value: string | null; secret_hash: string | null; hint: string; ip_allowlist?: string[] | null };

/** PostgreSQL answers `cidr[]` as text (`{10.0.0.0/8,…}`) through node-postgres: read it as a list. */
function allowlistOf(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String);
  const text = String(value);
  return text === '{}' ? [] : text.slice(1, -1).split(',');
}

const toRow = (row: Omit<KeyRow, 'ip_allowlist'> & { ip_allowlist: unknown }): KeyRow => ({ ...row, ip_allowlist: allowlistOf(row.ip_allowlist) });

export function createKeyStore(db: Kysely<ApiDatabase>) {
  return {
    accountExists: async (accountId: string) => (await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst()) !== undefined,

    /** The account's keys, newest first; keys expired at `at` only when asked. */
    async list(accountId: string, options: { includeExpired: boolean; limit: number; at: Date }): Promise<KeyRow[]> {
      let query = db.selectFrom('api_keys').select(KEY_VIEW_COLUMNS).where('account_id', '=', accountId);
      if (!options.includeExpired) query = query.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', options.at)]));
      return (await query.orderBy('created_at', 'desc').orderBy('id').limit(options.limit).execute()).map(toRow);
    },

    /**
     * Locks every key of the account for the caller's transaction: key changes of one account happen one
     * at a time (the bound on active keys holds under concurrency). Returns the key `keyId` if it is one.
     */
    async lockAccountKeys(tx: Transaction<ApiDatabase>, accountId: string, keyId?: string): Promise<{ keys: KeyRow[]; key: KeyRow | undefined }> {
      const keys = (await tx.selectFrom('api_keys').select(KEY_VIEW_COLUMNS).where('account_id', '=', accountId).orderBy('id').forUpdate().execute()).map(toRow);
      return { keys, key: keyId === undefined ? undefined : keys.find((key) => key.id === keyId) };
    },

    async insert(tx: Transaction<ApiDatabase>, key: NewKey): Promise<KeyRow> {
      const { ip_allowlist: allowlist, ...rest } = key;
      const row = await tx.insertInto('api_keys')
        .values({ ...rest, ...(allowlist ? { ip_allowlist: sql<string[]>`${allowlist}::cidr[]` } : {}) })
        .returning(KEY_VIEW_COLUMNS).executeTakeFirstOrThrow();
      return toRow(row);
    },

    async setExpiry(tx: Transaction<ApiDatabase>, keyId: string, at: Date): Promise<KeyRow> {
      return toRow(await tx.updateTable('api_keys').set({ expires_at: at }).where('id', '=', keyId).returning(KEY_VIEW_COLUMNS).executeTakeFirstOrThrow());
    },

    async setAllowlist(tx: Transaction<ApiDatabase>, keyId: string, cidrs: readonly string[] | null): Promise<KeyRow> {
      return toRow(await tx.updateTable('api_keys')
        .set({ ip_allowlist: cidrs === null ? null : sql<string[]>`${[...cidrs]}::cidr[]` })
        .where('id', '=', keyId).returning(KEY_VIEW_COLUMNS).executeTakeFirstOrThrow());
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
