// Internal card operations for the api (over mTLS): attach a token's card to a customer, read card
// metadata, change a card's holder details, delete cards (one, or all of a customer's for an erasure request). Never a PAN out.
// Every change is audited with the calling identity and the merchant.
import type { Audit, AuditRecord } from '#lib/audit/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { VaultDatabase } from '../db.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { TokenStore } from '../tokens/tokens.store.ts';
import { cardDataKeyOf, type DataKeyRegistry } from '../data-keys/data-key-registry.ts';
import { fingerprintKeyOf } from './fingerprints.ts';
import { cardView } from './card-view.ts';
import type { CardStore } from './cards.store.ts';
import { validateDetailsChange, type CardDetails } from './card-details.ts';

export const CARD_AUDIT = {
  attach: 'vault.card.attach', update: 'vault.card.update', delete: 'vault.card.delete', erase: 'vault.card.erase_customer', eraseAccount: 'vault.card.erase_account',
} as const;

export type InternalContext = { caller: string; requestId?: string; accountId: string; livemode: boolean };

export function tokenRefusal(reason: 'used' | 'expired' | 'missing') {
  return reason === 'used'
    ? httpError(400, 'used_token', 'token was already used')
    : httpError(400, 'invalid_card_token', reason === 'expired' ? 'token has expired' : 'invalid card token');
}

export function createCardService(deps: {
  db: Kysely<VaultDatabase>; cards: CardStore; tokens: TokenStore; audit: Pick<Audit, 'record'>;
  /** Merchant erasure: the KMS destroys the merchant's card-data and fingerprint keys. */
  kms: Pick<KmsClient, 'destroy'>; dataKeys: Pick<DataKeyRegistry, 'drop'>; now?: () => number;
}) {
  const { db, cards, tokens, audit, kms, dataKeys } = deps;
  const now = deps.now ?? Date.now;
  const entry = (ctx: InternalContext, action: string, targets: AuditRecord['targets'], metadata: Record<string, unknown> = {}): AuditRecord => ({
    actor: { type: 'service', id: ctx.caller }, action, tenant: ctx.accountId, targets,
    outcome: { result: 'success' }, origin: { certIdentity: ctx.caller }, requestId: ctx.requestId, metadata,
  });

  return {
    /** Uses the token: its card becomes the customer's (same card id, as Omise does). */
    async attach(ctx: InternalContext, tokenId: string, customerId: string) {
      return db.transaction().execute(async (tx) => {
        const token = await tokens.use(tx, ctx.accountId, tokenId, new Date(now()));
        if (typeof token === 'string') throw tokenRefusal(token);
        if (token.livemode !== ctx.livemode) throw tokenRefusal('missing');
        await cards.attach(tx, token.card_id, customerId);
        const card = await cards.find(ctx.accountId, token.card_id, tx);
        if (!card || card.deleted_at !== null) throw tokenRefusal('missing');
        await audit.record(tx, entry(ctx, CARD_AUDIT.attach, [{ type: 'card', id: card.id }, { type: 'token', id: tokenId }, { type: 'customer', id: customerId }]));
        return cardView(card);
      });
    },
    async get(ctx: InternalContext, cardId: string) {
      const card = await cards.find(ctx.accountId, cardId);
      if (!card || card.livemode !== ctx.livemode) throw httpError(404, 'not_found', 'card was not found');
      return cardView(card);
    },
    async listByCustomer(ctx: InternalContext, customerId: string) {
      return (await cards.listByCustomer(ctx.accountId, customerId)).filter((card) => card.livemode === ctx.livemode).map(cardView);
    },
    /** Changes a customer's card's holder details (never its number); the audit entry names the fields, not their values. */
    async update(ctx: InternalContext, customerId: string, cardId: string, input: CardDetails) {
      return db.transaction().execute(async (tx) => {
        const card = await cards.lock(tx, ctx.accountId, cardId);
        if (!card || card.livemode !== ctx.livemode || card.deleted_at !== null || card.customer_id !== customerId) throw httpError(404, 'not_found', 'card was not found');
        const checked = validateDetailsChange(input, card, new Date(now()));
        if (!checked.ok) throw httpError(400, checked.code, checked.message);
        const updated = await cards.updateDetails(tx, ctx.accountId, cardId, checked.change);
        await audit.record(tx, entry(ctx, CARD_AUDIT.update, [{ type: 'card', id: cardId }, { type: 'customer', id: customerId }], { fields: Object.keys(checked.change).sort() }));
        return cardView(updated);
      });
    },
    /** Deletes one card: sealed PAN and security code destroyed in the same transaction as the audit entry. */
    async delete(ctx: InternalContext, cardId: string) {
      return db.transaction().execute(async (tx) => {
        const card = await cards.find(ctx.accountId, cardId, tx);
        if (!card || card.livemode !== ctx.livemode || card.deleted_at !== null) throw httpError(404, 'not_found', 'card was not found');
        await cards.shred(tx, ctx.accountId, [cardId], new Date(now()));
        await audit.record(tx, entry(ctx, CARD_AUDIT.delete, [{ type: 'card', id: cardId }], { customer: card.customer_id }));
        const deleted = await cards.find(ctx.accountId, cardId, tx);
        return cardView(deleted!);
      });
    },
    /** Erasure request: every card of the customer deleted, in one transaction, audited. */
    async eraseCustomer(ctx: InternalContext, customerId: string) {
      return db.transaction().execute(async (tx) => {
        const held = await tx.selectFrom('vault_cards').select('id')
          .where('account_id', '=', ctx.accountId).where('customer_id', '=', customerId).where('deleted_at', 'is', null).execute();
        const deleted = await cards.shred(tx, ctx.accountId, held.map((row) => row.id), new Date(now()));
        await audit.record(tx, entry(ctx, CARD_AUDIT.erase, [{ type: 'customer', id: customerId }, ...deleted.slice(0, 19).map((id) => ({ type: 'card', id }))], { cards: deleted.length }));
        return { customer: customerId, deleted_cards: deleted.length };
      });
    },
    /**
     * Merchant erasure (the account closes, or its card data must go): crypto-shredding. The KMS
     * destroys every version of the merchant's card-data KEK and fingerprint key, so no copy of a sealed
     * PAN anywhere (backups included) can be decrypted again; then the sealed PANs, security codes and
     * tokens go from this database and the merchant's DEKs are retired and dropped from memory.
     */
    async eraseAccount(ctx: InternalContext) {
      const at = new Date(now());
      const destroyed = { card_data: await kms.destroy(cardDataKeyOf(ctx.accountId), ctx.requestId), fingerprint: await kms.destroy(fingerprintKeyOf(ctx.accountId), ctx.requestId) };
      dataKeys.drop(ctx.accountId);
      return db.transaction().execute(async (tx) => {
        await tx.updateTable('vault_data_keys').set({ retired_at: at }).where('key_id', '=', cardDataKeyOf(ctx.accountId)).where('retired_at', 'is', null).execute();
        const held = await tx.selectFrom('vault_cards').select('id').where('account_id', '=', ctx.accountId).where('deleted_at', 'is', null).execute();
        const deleted = await cards.shred(tx, ctx.accountId, held.map((row) => row.id), at);
        const removedTokens = await tx.deleteFrom('vault_tokens').where('account_id', '=', ctx.accountId).executeTakeFirst();
        await audit.record(tx, entry(ctx, CARD_AUDIT.eraseAccount, [{ type: 'account', id: ctx.accountId }, { type: 'kms_key', id: cardDataKeyOf(ctx.accountId) }, { type: 'kms_key', id: fingerprintKeyOf(ctx.accountId) }], {
          cards: deleted.length, tokens: Number(removedTokens.numDeletedRows),
          destroyed_versions: destroyed.card_data.destroyed_versions.length + destroyed.fingerprint.destroyed_versions.length,
        }));
        return { account: ctx.accountId, deleted_cards: deleted.length, deleted_tokens: Number(removedTokens.numDeletedRows), keys_destroyed: [cardDataKeyOf(ctx.accountId), fingerprintKeyOf(ctx.accountId)] };
      });
    },
  };
}

export type CardService = ReturnType<typeof createCardService>;
