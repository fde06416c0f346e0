// The persisted seal record (one row): the master key encrypted under the unseal key.
import type { Kysely } from '#lib/db/index.ts';
import type { KmsDatabase } from '../db.ts';
import type { SealRecord } from './seal-record.ts';

export function createSealStore(db: Kysely<KmsDatabase>) {
  return {
    async load(): Promise<SealRecord | undefined> {
      const row = await db.selectFrom('kms_seal').selectAll().where('id', '=', 1).executeTakeFirst();
      if (!row) return undefined;
      return {
        installId: row.install_id, threshold: row.threshold, shareCount: row.share_count,
        nonce: Buffer.from(row.nonce, 'base64'), ciphertext: Buffer.from(row.ciphertext, 'base64'), createdAt: row.created_at,
      };
    },
    /** False when another instance initialised first (the row exists already). */
    async insert(record: SealRecord): Promise<boolean> {
      const inserted = await db.insertInto('kms_seal').values({
        id: 1, install_id: record.installId, threshold: record.threshold, share_count: record.shareCount,
        nonce: record.nonce.toString('base64'), ciphertext: record.ciphertext.toString('base64'), created_at: record.createdAt,
      }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
      return inserted !== undefined;
    },
  };
}

export type SealStore = ReturnType<typeof createSealStore>;
