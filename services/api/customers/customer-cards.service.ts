// A customer's saved cards (docs/omise-compat.md §8.5): listed, read and deleted at the vault, which
// holds them; the api checks the customer is the merchant's and keeps its default_card right.
// Which cards are the customer's is the vault's answer for that customer (never a card id alone).
import { httpError } from '#lib/http/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import type { VaultCard, VaultClient } from '../vault/vault-client.ts';
import type { CustomerStore } from './customers.store.ts';
import type { UpdateCardBody } from './customers.schemas.ts';
import { CUSTOMER_AUDIT, customerAuditRecord, type RequestOrigin } from './customers.audit.ts';
import { must } from './vault-calls.ts';
import { checkIds, notFound } from './customer-ids.ts';

export function createCustomerCardService(deps: {
  db: Kysely<ApiDatabase>; store: CustomerStore; audit: Pick<Audit, 'record'>; vault: Pick<VaultClient, 'deleteCard'>;
  cardsOf: (merchant: Merchant, customerId: string) => Promise<VaultCard[]>;
}) {
  const { db, store, audit, vault, cardsOf } = deps;

  /** The merchant's live customer's cards; 404 for anybody else's customer. */
  async function cardsOfCustomer(merchant: Merchant, customerId: string): Promise<VaultCard[]> {
    if (!(await store.findLive(merchant.accountId, merchant.livemode, customerId))) throw notFound('customer', customerId);
    return cardsOf(merchant, customerId);
  }

  async function cardOfCustomer(merchant: Merchant, customerId: string, cardId: string): Promise<VaultCard> {
    const card = (await cardsOfCustomer(merchant, customerId)).find((candidate) => candidate.id === cardId);
    if (!card) throw notFound('card', cardId);
    return card;
  }

  return {
    /** The section 5 list, over the cards' created_at (the vault answers them oldest first). */
    async list(merchant: Merchant, customerId: string, query: unknown) {
      checkIds(customerId);
      const params = parseListParams(query);
      const inWindow = (await cardsOfCustomer(merchant, customerId)).filter((card) => {
        const at = Date.parse(card.created_at);
        return at >= params.from.getTime() && at <= params.to.getTime();
      });
      if (params.order === 'reverse_chronological') inWindow.reverse();
      const page = inWindow.slice(params.offset, params.offset + params.limit);
      return listObject(params, `/customers/${customerId}/cards`, page, inWindow.length);
    },

    async retrieve(merchant: Merchant, customerId: string, cardId: string) {
      checkIds(customerId, cardId);
      return cardOfCustomer(merchant, customerId, cardId);
    },

    /**
     * Omise lets the merchant change a saved card's name, expiry, city and postal code. The card lives in
     * the vault, whose internal API has no update operation yet: a request that changes nothing answers
     * the card; one that would change it is refused, clearly, rather than pretending.
     */
    async update(merchant: Merchant, customerId: string, cardId: string, body: UpdateCardBody) {
      checkIds(customerId, cardId);
      const card = await cardOfCustomer(merchant, customerId, cardId);
      const fields = Object.keys(body).filter((key) => (body as Record<string, unknown>)[key] !== undefined);
      if (fields.length > 0) {
        throw httpError(400, 'feature_not_supported', `updating a saved card (${fields.sort().join(', ')}) is not supported yet; delete the card and add a new token instead`);
      }
      return card;
    },

    /** Deletes the card at the vault (its PAN destroyed) and answers it with `deleted: true`. */
    async destroy(merchant: Merchant, customerId: string, cardId: string, origin: RequestOrigin) {
      checkIds(customerId, cardId);
      return db.transaction().execute(async (tx) => {
        const customer = await store.lockLive(tx, merchant.accountId, merchant.livemode, customerId);
        if (!customer) throw notFound('customer', customerId);
        const cards = await cardsOf(merchant, customerId);
        if (!cards.some((card) => card.id === cardId)) throw notFound('card', cardId);
        const deleted = await must(() => vault.deleteCard(merchant.accountId, merchant.livemode, cardId, origin.requestId));
        // A deleted default gives way to the most recently added card left (§7.5).
        if (customer.default_card === cardId) {
          const left = cards.filter((card) => card.id !== cardId);
          await store.update(tx, customerId, { default_card: left.at(-1)?.id ?? null });
        }
        await audit.record(tx, customerAuditRecord(merchant, CUSTOMER_AUDIT.cardDestroyed,
          [{ type: 'customer', id: customerId }, { type: 'card', id: cardId }], origin, { was_default: customer.default_card === cardId }));
        return deleted;
      });
    },
  };
}
export type CustomerCardService = ReturnType<typeof createCustomerCardService>;
