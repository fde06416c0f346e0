// Queries on vault_cards (and the sealed security codes) for the internal card operations. Metadata
// reads never select the sealed PAN; `sealed()` is the one read that does, for authorizations only.
import type { Kysely, Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { CARD_METADATA_COLUMNS, type CardMetadata } from './card-view.ts';
import type { CardDetails } from './card-details.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;

export type SealedCard = CardMetadata & { dek_id: string; pan_nonce: Buffer; pan_ciphertext: Buffer };
export type SealedCode = { dek_id: string; nonce: Buffer; ciphertext: Buffer };

export function createCardStore(db: Kysely<VaultDatabase>) {
  return {
    async find(accountId: string, cardId: string, tx: Db = db): Promise<CardMetadata | undefined> {
      return tx.selectFrom('vault_cards').select(CARD_METADATA_COLUMNS).where('id', '=', cardId).where('account_id', '=', accountId).executeTakeFirst();
    },
    async listByCustomer(accountId: string, customerId: string): Promise<CardMetadata[]> {
      return db.selectFrom('vault_cards').select(CARD_METADATA_COLUMNS)
        .where('account_id', '=', accountId).where('customer_id', '=', customerId).where('deleted_at', 'is', null)
        .orderBy('created_at').orderBy('id').execute();
    },
    /** The card's metadata, locked for the caller's transaction (a concurrent change waits). */
    async lock(tx: Transaction<VaultDatabase>, accountId: string, cardId: string): Promise<CardMetadata | undefined> {
      return tx.selectFrom('vault_cards').select(CARD_METADATA_COLUMNS).where('id', '=', cardId).where('account_id', '=', accountId).forUpdate().executeTakeFirst();
    },
    /** Holder details only (name, expiry, city, postal code): the grants allow nothing else of a card to change. */
    async updateDetails(tx: Transaction<VaultDatabase>, accountId: string, cardId: string, change: CardDetails): Promise<CardMetadata> {
      return tx.updateTable('vault_cards').set(change).where('id', '=', cardId).where('account_id', '=', accountId).where('deleted_at', 'is', null)
        .returning(CARD_METADATA_COLUMNS).executeTakeFirstOrThrow();
    },
    async attach(tx: Transaction<VaultDatabase>, cardId: string, customerId: string) {
      await tx.updateTable('vault_cards').set({ customer_id: customerId }).where('id', '=', cardId).where('customer_id', 'is', null).execute();
    },
    /**
     * The card with its sealed PAN, locked for the caller's transaction, and its sealed security code if
     * still held and unexpired at `at` (one round trip); undefined if the card is deleted or absent.
     */
    async sealed(tx: Transaction<VaultDatabase>, accountId: string, cardId: string, at: Date): Promise<{ card: SealedCard; code: SealedCode | undefined } | undefined> {
      const row = await tx.selectFrom('vault_cards as c')
        .leftJoin('vault_security_codes as s', (join) => join.onRef('s.card_id', '=', 'c.id').on('s.expires_at', '>', at))
        .select(CARD_METADATA_COLUMNS.map((column) => `c.${column}` as const))
        .select(['c.dek_id', 'c.pan_nonce', 'c.pan_ciphertext', 's.dek_id as code_dek_id', 's.nonce as code_nonce', 's.ciphertext as code_ciphertext'])
        .where('c.id', '=', cardId).where('c.account_id', '=', accountId).where('c.deleted_at', 'is', null)
        .forUpdate('c').executeTakeFirst();
      if (!row || row.dek_id === null || row.pan_nonce === null || row.pan_ciphertext === null) return undefined;
      const { code_dek_id: codeDek, code_nonce: nonce, code_ciphertext: ciphertext, ...card } = row;
      return {
        card: { ...card, dek_id: row.dek_id, pan_nonce: row.pan_nonce, pan_ciphertext: row.pan_ciphertext },
        code: codeDek !== null && nonce !== null && ciphertext !== null ? { dek_id: codeDek, nonce, ciphertext } : undefined,
      };
    },
    async destroySecurityCode(tx: Db, cardId: string): Promise<boolean> {
      const result = await tx.deleteFrom('vault_security_codes').where('card_id', '=', cardId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async setSecurityCodeCheck(tx: Db, cardId: string, passed: boolean) {
      await tx.updateTable('vault_cards').set({ security_code_check: passed }).where('id', '=', cardId).execute();
    },
    /** Deletes the card: its sealed PAN and security code are destroyed, its metadata stays (deleted). */
    async shred(tx: Transaction<VaultDatabase>, accountId: string, cardIds: readonly string[], at: Date): Promise<string[]> {
      if (cardIds.length === 0) return [];
      await tx.deleteFrom('vault_security_codes').where('card_id', 'in', cardIds).execute();
      const rows = await tx.updateTable('vault_cards').set({ pan_nonce: null, pan_ciphertext: null, dek_id: null, deleted_at: at })
        .where('account_id', '=', accountId).where('id', 'in', cardIds).where('deleted_at', 'is', null)
        .returning('id').execute();
      return rows.map((row) => row.id);
    },
  };
}

export type CardStore = ReturnType<typeof createCardStore>;
