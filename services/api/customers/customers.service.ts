// Customers of a merchant and their saved cards (docs/omise-compat.md §7.5, §8.5). The api never sees
// card data: a card is attached, listed and deleted at the vault (mTLS), which answers card metadata.
// A change to a customer happens under its row lock, with the vault call made while it is held, and is
// audited in the same transaction; a vault refusal passes through with its own code and status.
import { newId } from '#lib/contracts/index.ts';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import type { VaultAnswer, VaultCard, VaultClient } from '../vault/vault-client.ts';
import type { CustomerChange, CustomerRow, CustomerStore } from './customers.store.ts';
import type { CreateCustomerBody, UpdateCustomerBody } from './customers.schemas.ts';
import { CUSTOMER_AUDIT, customerAuditRecord, type RequestOrigin } from './customers.audit.ts';
import { presentCustomer, type CustomerView } from './customer-view.ts';
import { createCustomerCardService } from './customer-cards.service.ts';
import { ask, mapLimit, must, outcomeUnknown, passThrough } from './vault-calls.ts';
import { checkIds, notFound } from './customer-ids.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../changes/changes.ts';
import { readMetadata } from '../metadata/metadata.ts';

export type { RequestOrigin } from './customers.audit.ts';
export { presentCustomer } from './customer-view.ts';

/** Where a failed clean-up is reported (the request's logger). */
export type ErrorLog = { error(details: object, message: string): void };

export type CustomerVault = Pick<VaultClient, 'attachCard' | 'listCards' | 'deleteCard' | 'eraseCustomer' | 'updateCard'>;

// Vault calls in flight for one page of customers (each customer's cards are one call).
const CARD_LISTS_IN_FLIGHT = 8;

/** The fields a request sets, by name only (values such as e-mail addresses stay out of the audit trail). */
function fieldsOf(body: object): string[] {
  return Object.keys(body).filter((key) => (body as Record<string, unknown>)[key] !== undefined).sort();
}

export function createCustomerService(deps: {
  db: Kysely<ApiDatabase>; store: CustomerStore; audit: Pick<Audit, 'record'>; vault: CustomerVault;
  /** Where customer and card changes are announced (events, webhooks), in their transaction. */
  changes?: ChangeRecorder;
}) {
  const { db, store, audit, vault } = deps;
  const changes = deps.changes ?? IGNORE_CHANGES;

  const cardsOf = async (merchant: Merchant, customerId: string): Promise<VaultCard[]> =>
    (await must(() => vault.listCards(merchant.accountId, merchant.livemode, customerId))).data;

  /** Best effort: the request already failed; a clean-up that fails too is logged for an operator. */
  async function cleanUp(what: string, call: () => Promise<VaultAnswer<unknown>>, log?: ErrorLog): Promise<void> {
    const answer = await ask(call);
    if (!answer.ok && answer.status !== 404) log?.error({ status: answer.status }, `customer clean-up failed: ${what}`);
  }

  /** Attaches the token's card; a refusal is thrown as the vault answered it. */
  async function attach(merchant: Merchant, customerId: string, token: string, origin: RequestOrigin, onUnknown: () => Promise<void>): Promise<VaultCard> {
    const answer = await ask(() => vault.attachCard(merchant.accountId, merchant.livemode, customerId, token, origin.requestId));
    if (answer.ok) return answer.body;
    if (outcomeUnknown(answer)) await onUnknown();
    throw passThrough(answer);
  }

  const service = {
    async create(merchant: Merchant, body: CreateCustomerBody, origin: RequestOrigin, log?: ErrorLog) {
      // Before the token is used: a refused body does not cost the merchant the token.
      const metadata = readMetadata(body.metadata);
      const id = newId('customer', merchant.livemode);
      const eraseCards = () => cleanUp(`erase the cards of ${id}, which was not created`,
        () => vault.eraseCustomer(merchant.accountId, merchant.livemode, id, origin.requestId), log);
      // Nobody else knows the id yet, so the card can be attached before the row exists.
      const card = body.card === undefined ? null : await attach(merchant, id, body.card, origin, eraseCards);
      let row: CustomerRow;
      try {
        row = await db.transaction().execute(async (tx) => {
          const inserted = await store.insert(tx, {
            id, account_id: merchant.accountId, livemode: merchant.livemode, email: body.email ?? null,
            description: body.description ?? null, metadata: JSON.stringify(metadata), default_card: card?.id ?? null,
          });
          await audit.record(tx, customerAuditRecord(merchant, CUSTOMER_AUDIT.created,
            [{ type: 'customer', id }, ...(card ? [{ type: 'card', id: card.id }] : [])], origin, { fields: fieldsOf(body) }));
          await changes.record(tx, { merchant, key: 'customer.create', data: presentCustomer(inserted, card ? [card] : []), at: new Date() });
          return inserted;
        });
      } catch (error) {
        if (card) await eraseCards();
        throw error;
      }
      return presentCustomer(row, card ? [card] : []);
    },

    async list(merchant: Merchant, query: unknown) {
      const params = parseListParams(query);
      const { rows, total } = await store.list(merchant.accountId, merchant.livemode, params);
      const cards = await mapLimit(rows, CARD_LISTS_IN_FLIGHT, (row) => cardsOf(merchant, row.id));
      return listObject(params, '/customers', rows.map((row, i) => presentCustomer(row, cards[i]!, params.to)), total);
    },

    async retrieve(merchant: Merchant, id: string) {
      checkIds(id);
      const row = await store.findLive(merchant.accountId, merchant.livemode, id);
      if (!row) throw notFound('customer', id);
      return presentCustomer(row, await cardsOf(merchant, id));
    },

    /** `card` adds a card (a token); `default_card` picks one of the customer's cards, the new one included. */
    async update(merchant: Merchant, id: string, body: UpdateCustomerBody, origin: RequestOrigin, log?: ErrorLog) {
      checkIds(id);
      const metadata = body.metadata === undefined ? undefined : readMetadata(body.metadata);
      // Set inside the transaction; `as` keeps TypeScript from treating it as always null out here.
      let added = null as VaultCard | null;
      let view: CustomerView;
      try {
        view = await db.transaction().execute(async (tx) => {
          const current = await store.lockLive(tx, merchant.accountId, merchant.livemode, id);
          if (!current) throw notFound('customer', id);
          // Checked before the token is used, so a bad default_card does not cost the merchant the token.
          const known = body.default_card === undefined ? true : (await cardsOf(merchant, id)).some((card) => card.id === body.default_card);
          if (!known && body.card === undefined) throw notFound('card', String(body.default_card));
          if (body.card !== undefined) {
            // Unknown outcome: a card the vault did attach simply shows in the customer's cards.
            added = await attach(merchant, id, body.card, origin, async () => undefined);
          }
          if (!known && added?.id !== body.default_card) throw notFound('card', String(body.default_card));

          const change: CustomerChange = {};
          if (body.email !== undefined) change.email = body.email;
          if (body.description !== undefined) change.description = body.description;
          if (metadata !== undefined) change.metadata = JSON.stringify(metadata);
          // The first card a customer gets becomes its default (§7.5).
          if (body.default_card !== undefined) change.default_card = body.default_card;
          else if (added && current.default_card === null) change.default_card = added.id;
          const updated = Object.keys(change).length === 0 ? current : await store.update(tx, id, change);
          await audit.record(tx, customerAuditRecord(merchant, CUSTOMER_AUDIT.updated,
            [{ type: 'customer', id }, ...(added ? [{ type: 'card', id: added.id }] : [])], origin, { fields: fieldsOf(body) }));
          // The answer is also the event's snapshot, cards included (a card added shows in it): read before
          // the commit, so an update that cannot be shown is not made (and its card goes, below).
          const shown = presentCustomer(updated, await cardsOf(merchant, id));
          await changes.record(tx, { merchant, key: 'customer.update', data: shown, at: new Date() });
          if (added) await changes.record(tx, { merchant, key: 'customer.update.card', data: shown, at: new Date() });
          return shown;
        });
      } catch (error) {
        // The update did not happen, so nothing of it stays: the card it attached goes too.
        const card = added;
        if (card) {
          await cleanUp(`delete card ${card.id} of ${id}, whose update failed`,
            () => vault.deleteCard(merchant.accountId, merchant.livemode, card.id, origin.requestId), log);
        }
        throw error;
      }
      return view;
    },

    /** Erasure: the customer's cards are deleted at the vault (PAN destroyed), then the customer is marked deleted. */
    async destroy(merchant: Merchant, id: string, origin: RequestOrigin) {
      checkIds(id);
      const row = await db.transaction().execute(async (tx) => {
        const current = await store.lockLive(tx, merchant.accountId, merchant.livemode, id);
        if (!current) throw notFound('customer', id);
        // Under the lock: no card can be added between the erasure and the deletion.
        const erased = await must(() => vault.eraseCustomer(merchant.accountId, merchant.livemode, id, origin.requestId));
        const deleted = await store.update(tx, id, { deleted: true, default_card: null });
        await audit.record(tx, customerAuditRecord(merchant, CUSTOMER_AUDIT.destroyed, [{ type: 'customer', id }], origin,
          { cards_deleted: erased.deleted_cards }));
        await changes.record(tx, { merchant, key: 'customer.destroy', data: presentCustomer(deleted, []), at: new Date() });
        return deleted;
      });
      return presentCustomer(row, []);
    },
  };
  return { ...service, cards: createCustomerCardService({ db, store, audit, vault, cardsOf, changes }) };
}
export type CustomerService = ReturnType<typeof createCustomerService>;
