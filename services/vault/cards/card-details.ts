// A saved card's holder details that the merchant may change (docs/omise-compat.md §8.5): name, expiry,
// city and postal code. The card number never changes (a new number is a new card, through a token),
// so nothing sealed is touched. Same rules as at tokenization: bounded text, no control characters,
// an expiry that is neither past nor too far ahead.
import { checkExpiry, checkText, type Failure } from './card-number.ts';

export type CardDetails = { name?: string; expiration_month?: number; expiration_year?: number; city?: string; postal_code?: string };

const TEXT_FIELDS = ['name', 'city', 'postal_code'] as const;

/** The change to write, or why it is refused. `current` is the card's expiry, for a change of one half of it. */
export function validateDetailsChange(
  input: CardDetails, current: { expiration_month: number; expiration_year: number }, now: Date,
): Failure | { ok: true; change: CardDetails } {
  const change: CardDetails = {};
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    const checked = checkText(field, value);
    if (!checked.ok) return checked;
    change[field] = value;
  }
  if (change.name !== undefined && change.name.trim() === '') return { ok: false, code: 'invalid_card', message: 'name must not be empty' };
  if (input.expiration_month !== undefined || input.expiration_year !== undefined) {
    const expiry = checkExpiry(input.expiration_month ?? current.expiration_month, input.expiration_year ?? current.expiration_year, now);
    if (!expiry.ok) return expiry.message === 'card is expired' ? { ...expiry, message: 'expiration date cannot be in the past' } : expiry;
    if (input.expiration_month !== undefined) change.expiration_month = expiry.month;
    if (input.expiration_year !== undefined) change.expiration_year = expiry.year;
  }
  if (Object.keys(change).length === 0) return { ok: false, code: 'invalid_card', message: 'nothing to update: give name, expiration_month, expiration_year, city or postal_code' };
  return { ok: true, change };
}
