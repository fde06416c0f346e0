// The Opn Payments (Omise) card object, from a vault_cards row: metadata PCI DSS allows in clear.
// No PAN, no security code, no first digits (Omise answers first_digits: null), nothing sealed.
import type { Selectable } from '#lib/db/index.ts';
import type { VaultDatabase } from '../db.ts';

export type CardRow = Selectable<VaultDatabase['vault_cards']>;
export type CardMetadata = Omit<CardRow, 'dek_id' | 'pan_nonce' | 'pan_ciphertext'>;

/** The columns safe to read for views: never the sealed PAN. */
export const CARD_METADATA_COLUMNS = [
  'id', 'account_id', 'livemode', 'customer_id', 'brand', 'last_digits', 'name', 'expiration_month', 'expiration_year',
  'country', 'city', 'state', 'street1', 'street2', 'postal_code', 'phone_number', 'fingerprint', 'security_code_check',
  'created_at', 'deleted_at',
] as const satisfies readonly (keyof CardMetadata)[];

/** ISO 8601 to the second, as Omise writes it. */
export function omiseTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function cardView(card: CardMetadata) {
  return {
    object: 'card' as const,
    id: card.id,
    livemode: card.livemode,
    location: card.customer_id ? `/customers/${card.customer_id}/cards/${card.id}` : null,
    deleted: card.deleted_at !== null,
    street1: card.street1,
    street2: card.street2,
    city: card.city,
    state: card.state,
    phone_number: card.phone_number,
    postal_code: card.postal_code,
    country: card.country,
    financing: '',
    bank: '',
    brand: card.brand,
    fingerprint: card.fingerprint,
    first_digits: null,
    last_digits: card.last_digits,
    name: card.name,
    expiration_month: card.expiration_month,
    expiration_year: card.expiration_year,
    security_code_check: card.security_code_check,
    tokenization_method: null,
    created_at: omiseTime(card.created_at),
  };
}

export type CardView = ReturnType<typeof cardView>;
