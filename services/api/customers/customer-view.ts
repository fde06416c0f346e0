// The Omise customer object (docs/omise-compat.md §7.5), from a customers row and the customer's cards
// as the vault answers them (card metadata only: the api never holds card data).
import { embeddedListParams, listObject, omiseTime } from '../lists/list-params.ts';
import type { VaultCard } from '../vault/vault-client.ts';
import type { CustomerRow } from './customers.store.ts';

/** Cards the embedded list shows (Omise's default page); `total` still counts them all. */
const EMBEDDED_CARDS = 20;

export function presentCustomer(row: CustomerRow, cards: readonly VaultCard[], now: Date = new Date()) {
  const embedded = embeddedListParams(now);
  return {
    object: 'customer' as const,
    id: row.id,
    livemode: row.livemode,
    location: `/customers/${row.id}`,
    deleted: row.deleted,
    metadata: row.metadata,
    cards: listObject(embedded, `/customers/${row.id}/cards`, cards.slice(0, EMBEDDED_CARDS), cards.length),
    linked_accounts: listObject(embedded, `/customers/${row.id}/linked_accounts`, [], 0),
    default_card: row.default_card,
    description: row.description,
    email: row.email,
    created_at: omiseTime(row.created_at),
  };
}
export type CustomerView = ReturnType<typeof presentCustomer>;
