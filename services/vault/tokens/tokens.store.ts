// Queries on vault_tokens, vault_cards and vault_security_codes for tokenization. No logic, no logging
// of values. Reads for views select metadata columns only, never the sealed PAN.
import type { OutboxRow } from '#lib/audit/index.ts';
import { sql, type Insertable, type Kysely, type RawBuilder, type Transaction } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';
import { CARD_METADATA_COLUMNS, type CardMetadata } from '../cards/card-view.ts';
import type { TokenRow } from './token-view.ts';

type Db = Kysely<VaultDatabase> | Transaction<VaultDatabase>;

export type NewTokens = {
  cards: Insertable<VaultDatabase['vault_cards']>[];
  tokens: Insertable<VaultDatabase['vault_tokens']>[];
  securityCodes: Insertable<VaultDatabase['vault_security_codes']>[];
};

const CARD_COLUMNS = [
  'id', 'account_id', 'livemode', 'customer_id', 'brand', 'last_digits', 'name', 'expiration_month', 'expiration_year', 'country',
  'city', 'state', 'street1', 'street2', 'postal_code', 'phone_number', 'fingerprint', 'security_code_check', 'dek_id', 'pan_nonce',
  'pan_ciphertext', 'created_at', 'deleted_at',
] as const;
const TOKEN_COLUMNS = ['id', 'account_id', 'livemode', 'card_id', 'created_at', 'expires_at', 'used_at', 'charge_status'] as const;
const CODE_COLUMNS = ['card_id', 'dek_id', 'nonce', 'ciphertext', 'expires_at'] as const;

/** `INSERT INTO <table> (<columns>) VALUES (…), (…)` as a raw fragment, for a data-modifying CTE. */
function insertValues<Row>(table: string, columns: readonly (keyof Row & string)[], rows: readonly Row[]): RawBuilder<unknown> {
  const tuples = rows.map((row) => sql`(${sql.join(columns.map((column) => sql`${row[column] ?? null}`))})`);
  return sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))}) VALUES ${sql.join(tuples)}`;
}

export function createTokenStore(db: Kysely<VaultDatabase>) {
  return {
    /**
     * Cards, tokens, sealed security codes and their audit entries in ONE statement (data-modifying
     * CTEs): atomic like a transaction, in one round trip and one commit. Foreign keys are checked at
     * the end of the statement, so tokens may name cards inserted alongside.
     */
    async insert(rows: NewTokens, audit: readonly OutboxRow[]) {
      if (rows.cards.length === 0) return;
      const parts = [
        sql`cards AS (${insertValues('vault_cards', CARD_COLUMNS, rows.cards)})`,
        sql`tokens AS (${insertValues('vault_tokens', TOKEN_COLUMNS, rows.tokens)})`,
      ];
      if (rows.securityCodes.length > 0) parts.push(sql`codes AS (${insertValues('vault_security_codes', CODE_COLUMNS, rows.securityCodes)})`);
      const entries = audit.map((row) => sql`(${row.stream}, ${row.entry}::jsonb, ${row.created_at}::timestamptz)`);
      await sql`WITH ${sql.join(parts)} INSERT INTO audit_outbox (stream, entry, created_at) VALUES ${sql.join(entries)}`.execute(db);
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
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
