// Queries on kms_keys and kms_key_versions. No logic, no logging of values.
import { sql, type Kysely, type Selectable, type Transaction } from '#lib/db/index.ts';
import type { KmsDatabase, VersionState } from '../db.ts';

type Db = Kysely<KmsDatabase> | Transaction<KmsDatabase>;
export type KeyRow = Selectable<KmsDatabase['kms_keys']>;
export type VersionRow = Selectable<KmsDatabase['kms_key_versions']>;

export function createKeyStore(db: Kysely<KmsDatabase>) {
  return {
    db,
    /** Inserts the key row if it does not exist yet (several instances may race to create it). */
    async insertKeyIfAbsent(tx: Db, key: { id: string; family: string; purpose: KmsDatabase['kms_keys']['purpose']; cryptoPeriodDays: number | null }) {
      await tx.insertInto('kms_keys')
        .values({ id: key.id, family: key.family, purpose: key.purpose, primary_version: null, crypto_period_days: key.cryptoPeriodDays })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    /** Locks the key row for the rest of the transaction (rotation, state changes). */
    async lockKey(tx: Transaction<KmsDatabase>, keyId: string) {
      return tx.selectFrom('kms_keys').selectAll().where('id', '=', keyId).forUpdate().executeTakeFirst();
    },
    async findKey(keyId: string) {
      return db.selectFrom('kms_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
    },
    async listVersions(tx: Db, keyId: string) {
      return tx.selectFrom('kms_key_versions').selectAll().where('key_id', '=', keyId).orderBy('version').execute();
    },
    async findVersion(keyId: string, version: number) {
      return db.selectFrom('kms_key_versions').selectAll().where('key_id', '=', keyId).where('version', '=', version).executeTakeFirst();
    },
    async nextVersion(tx: Db, keyId: string): Promise<number> {
      const row = await tx.selectFrom('kms_key_versions').select(sql<number>`coalesce(max(version), 0) + 1`.as('next'))
        .where('key_id', '=', keyId).executeTakeFirstOrThrow();
      return Number(row.next);
    },
    async insertVersion(tx: Db, row: { keyId: string; version: number; backend: KmsDatabase['kms_key_versions']['backend']; handle: string; wrappedSecret: string | null; publicKey: string | null }) {
      await tx.insertInto('kms_key_versions').values({
        key_id: row.keyId, version: row.version, state: 'active', backend: row.backend,
        handle: row.handle, wrapped_secret: row.wrappedSecret, public_key: row.publicKey,
      }).execute();
    },
    async setVersionState(tx: Db, keyId: string, version: number, state: VersionState) {
      const wipe = state === 'destroyed' ? { handle: null, wrapped_secret: null } : {};
      await tx.updateTable('kms_key_versions').set({ state, state_changed_at: new Date(), ...wipe })
        .where('key_id', '=', keyId).where('version', '=', version).execute();
    },
    /** `rotatedAt`: when a new primary version starts its crypto-period (omit when none does). */
    async setPrimary(tx: Db, keyId: string, version: number | null, rotatedAt?: Date) {
      await tx.updateTable('kms_keys').set({ primary_version: version, ...(rotatedAt ? { rotated_at: rotatedAt } : {}) })
        .where('id', '=', keyId).execute();
    },
    async setMinDecryptVersion(tx: Db, keyId: string, version: number) {
      await tx.updateTable('kms_keys').set({ min_decrypt_version: version }).where('id', '=', keyId).execute();
    },
    /** Keys whose primary version is older than their crypto-period (scheduled rotation). */
    async keysDueForRotation(now: Date) {
      return db.selectFrom('kms_keys').select(['id']).where('crypto_period_days', 'is not', null)
        .where('primary_version', 'is not', null)
        .where(sql<boolean>`rotated_at + make_interval(days => crypto_period_days) <= ${now}`)
        .execute();
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
