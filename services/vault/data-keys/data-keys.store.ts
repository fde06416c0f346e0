// Queries on vault_data_keys. No logic, no logging of values; rows hold wrapped DEKs only.
import { sql, type Kysely, type Selectable, type Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;
export type DataKeyRow = Selectable<VaultDatabase['vault_data_keys']>;
export type WrappedDataKey = Pick<DataKeyRow, 'id' | 'key_id' | 'kek_version' | 'wrapped'>;

/** The bounds a DEK must still be within to take one more record. */
export type UseBounds = { maxUses: number; createdAfter: Date; now: Date };

// Two instances of the vault must not re-wrap the same rows at once.
const REWRAP_LOCK = sql`hashtextextended('vault:data-key-rewrap', 0)`;

export function createDataKeyStore(db: Kysely<VaultDatabase>) {
  return {
    async insert(tx: Db, row: { id: string; keyId: string; kekVersion: number; wrapped: string; createdAt: Date }) {
      await tx.insertInto('vault_data_keys')
        .values({ id: row.id, key_id: row.keyId, kek_version: row.kekVersion, wrapped: row.wrapped, created_at: row.createdAt })
        .execute();
    },
    async find(id: string, tx: Db = db): Promise<WrappedDataKey | undefined> {
      return tx.selectFrom('vault_data_keys').select(['id', 'key_id', 'kek_version', 'wrapped']).where('id', '=', id).executeTakeFirst();
    },
    /** The newest DEK of `keyId` still open for new records (perhaps created by another instance). */
    async findOpen(keyId: string, bounds: Omit<UseBounds, 'now'>) {
      return db.selectFrom('vault_data_keys').select(['id', 'key_id', 'kek_version', 'wrapped', 'created_at'])
        .where('key_id', '=', keyId).where('retired_at', 'is', null)
        .where('created_at', '>', bounds.createdAfter).where('records', '<', bounds.maxUses)
        .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    },
    /**
     * Counts `uses` records against the DEK, in one statement, if it still has room for all of them
     * and is within its age; reaching the bound retires it. Returns the new count, or undefined when
     * the DEK may not take them. PostgreSQL holds the count, so every instance shares the bound.
     */
    async countUse(tx: Db, id: string, bounds: UseBounds, uses = 1): Promise<number | undefined> {
      const row = await tx.updateTable('vault_data_keys')
        .set({
          records: sql<number>`records + ${uses}::int`,
          retired_at: sql<Date | null>`CASE WHEN records + ${uses}::int >= ${bounds.maxUses}::int THEN ${bounds.now}::timestamptz ELSE retired_at END`,
        })
        .where('id', '=', id).where('retired_at', 'is', null)
        .where(sql<boolean>`records + ${uses}::int <= ${bounds.maxUses}::int`).where('created_at', '>', bounds.createdAfter)
        .returning('records')
        .executeTakeFirst();
      return row?.records;
    },
    /** No new records under this DEK, from any instance (it could not take a batch, or is past its age). */
    async retire(id: string, at: Date) {
      await db.updateTable('vault_data_keys').set({ retired_at: at }).where('id', '=', id).where('retired_at', 'is', null).execute();
    },
    /**
     * Retires the open DEKs of `keyId` created at or before `createdBefore` (past their maximum age).
     * Rows locked by an encryption in progress are skipped: their age already stops any further use.
     */
    async retireAged(keyId: string, createdBefore: Date, at: Date) {
      await db.updateTable('vault_data_keys').set({ retired_at: at })
        .where('id', 'in', (qb) => qb.selectFrom('vault_data_keys').select('id')
          .where('key_id', '=', keyId).where('retired_at', 'is', null).where('created_at', '<=', createdBefore)
          .forUpdate().skipLocked())
        .execute();
    },
    async keyIds(): Promise<string[]> {
      const rows = await db.selectFrom('vault_data_keys').select('key_id').distinct().orderBy('key_id').execute();
      return rows.map((row) => row.key_id);
    },
    /** The DEK of `keyId` on the highest KEK version (the re-wrap job's probe). */
    async newest(keyId: string): Promise<WrappedDataKey | undefined> {
      return db.selectFrom('vault_data_keys').select(['id', 'key_id', 'kek_version', 'wrapped'])
        .where('key_id', '=', keyId).orderBy('kek_version', 'desc').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    },
    /** Transaction-scoped: true when this transaction may re-wrap (no other instance is at it). */
    async tryRewrapLock(tx: Transaction<VaultDatabase>): Promise<boolean> {
      const result = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${REWRAP_LOCK}) AS locked`.execute(tx);
      return result.rows[0]?.locked === true;
    },
    async belowVersion(tx: Db, keyId: string, version: number, limit: number): Promise<WrappedDataKey[]> {
      return tx.selectFrom('vault_data_keys').select(['id', 'key_id', 'kek_version', 'wrapped'])
        .where('key_id', '=', keyId).where('kek_version', '<', version)
        .orderBy('kek_version').orderBy('id').limit(limit).execute();
    },
    /** Replaces a wrapped DEK by its re-wrapped form, only if the row still holds `from`. */
    async replaceWrapped(tx: Db, id: string, from: string, to: { wrapped: string; version: number }): Promise<boolean> {
      const result = await tx.updateTable('vault_data_keys').set({ wrapped: to.wrapped, kek_version: to.version })
        .where('id', '=', id).where('wrapped', '=', from).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}

export type DataKeyStore = ReturnType<typeof createDataKeyStore>;
