// Queries on vault_tokens, vault_cards and vault_security_codes for tokenization. No logic, no logging
// of values. Reads for views select metadata columns only, never the sealed PAN.
import type { Insertable, Kysely, Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { CARD_METADATA_COLUMNS, type CardMetadata } from '../cards/card-view.ts';
import type { TokenRow } from './token-view.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;

export type NewTokens = {
  cards: Insertable<VaultDatabase['vault_cards']>[];
  tokens: Insertable<VaultDatabase['vault_tokens']>[];
  securityCodes: Insertable<VaultDatabase['vault_security_codes']>[];
};

export function createTokenStore(db: Kysely<VaultDatabase>) {
  return {
    /** One multi-row INSERT per table, inside the batch's transaction. */
    async insert(tx: Transaction<VaultDatabase>, rows: NewTokens) {
      if (rows.cards.length > 0) await tx.insertInto('vault_cards').values(rows.cards).execute();
      if (rows.tokens.length > 0) await tx.insertInto('vault_tokens').values(rows.tokens).execute();
      if (rows.securityCodes.length > 0) await tx.insertInto('vault_security_codes').values(rows.securityCodes).execute();
    },
    async find(accountId: string, tokenId: string, tx: Db = db): Promise<{ token: TokenRow; card: CardMetadata } | undefined> {
      const token = await tx.selectFrom('vault_tokens').selectAll().where('id', '=', tokenId).where('account_id', '=', accountId).executeTakeFirst();
      if (!token) return undefined;
      const card = await tx.selectFrom('vault_cards').select(CARD_METADATA_COLUMNS).where('id', '=', token.card_id).executeTakeFirst();
      return card ? { token, card } : undefined;
    },
    /**
     * Marks an unused, unexpired token used, in `tx`; the row stays locked until `tx` ends, so two
     * concurrent uses cannot both succeed. Returns the token, or why it cannot be used.
     */
    async use(tx: Transaction<VaultDatabase>, accountId: string, tokenId: string, at: Date): Promise<TokenRow | 'used' | 'expired' | 'missing'> {
      const used = await tx.updateTable('vault_tokens').set({ used_at: at })
        .where('id', '=', tokenId).where('account_id', '=', accountId).where('used_at', 'is', null).where('expires_at', '>', at)
        .returningAll().executeTakeFirst();
      if (used) return used;
      const row = await tx.selectFrom('vault_tokens').select(['used_at', 'expires_at']).where('id', '=', tokenId).where('account_id', '=', accountId).executeTakeFirst();
      if (!row) return 'missing';
      return row.used_at !== null ? 'used' : 'expired';
    },
    async setChargeStatus(tx: Db, tokenId: string, status: string) {
      await tx.updateTable('vault_tokens').set({ charge_status: status }).where('id', '=', tokenId).execute();
    },
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
