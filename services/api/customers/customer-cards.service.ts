// A customer's saved cards (docs/omise-compat.md §8.5): listed, read, updated and deleted at the vault, which
// holds them; the api checks the customer is the merchant's and keeps its default_card right.
// Which cards are the customer's is the vault's answer for that customer (never a card id alone).
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import type { VaultCard, VaultClient } from '../vault/vault-client.ts';
import type { CustomerStore } from './customers.store.ts';
import type { UpdateCardBody } from './customers.schemas.ts';
import { CUSTOMER_AUDIT, customerAuditRecord, type RequestOrigin } from './customers.audit.ts';
import { ask, must, passThrough } from './vault-calls.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../changes/changes.ts';
import { checkIds, notFound } from './customer-ids.ts';

export function createCustomerCardService(deps: {
  db: Kysely<ApiDatabase>; store: CustomerStore; audit: Pick<Audit, 'record'>; vault: Pick<VaultClient, 'deleteCard' | 'updateCard'>;
  cardsOf: (merchant: Merchant, customerId: string) => Promise<VaultCard[]>;
  /** Where `card.update` is announced (events, webhooks); the customers service passes its own `changes`. */
  changes?: ChangeRecorder;
}) {
  const { db, store, audit, vault, cardsOf } = deps;
  const changes = deps.changes ?? IGNORE_CHANGES;

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
     * Changes a saved card's name, expiry, city or postal code at the vault (which checks the card is this
     * customer's and the expiry is not past), under the customer's row lock, audited and announced as
     * `card.update` in the api's transaction. A request that changes nothing answers the card.
     */
    async update(merchant: Merchant, customerId: string, cardId: string, body: UpdateCardBody, origin: RequestOrigin) {
      checkIds(customerId, cardId);
      const fields = Object.keys(body).filter((key) => (body as Record<string, unknown>)[key] !== undefined).sort();
      if (fields.length === 0) return cardOfCustomer(merchant, customerId, cardId);
      return db.transaction().execute(async (tx) => {
        if (!(await store.lockLive(tx, merchant.accountId, merchant.livemode, customerId))) throw notFound('customer', customerId);
        const answer = await ask(() => vault.updateCard(merchant.accountId, merchant.livemode, customerId, cardId, body, origin.requestId));
        if (!answer.ok) throw answer.status === 404 ? notFound('card', cardId) : passThrough(answer);
        await audit.record(tx, customerAuditRecord(merchant, CUSTOMER_AUDIT.cardUpdated,
          [{ type: 'customer', id: customerId }, { type: 'card', id: cardId }], origin, { fields }));
        await changes.record(tx, { merchant, key: 'card.update', data: answer.body, at: new Date() });
        return answer.body;
      });
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
        await changes.record(tx, { merchant, key: 'card.destroy', data: deleted, at: new Date() });
        return deleted;
      });
    },
  };
}
export type CustomerCardService = ReturnType<typeof createCustomerCardService>;
