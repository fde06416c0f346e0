// The Omise capability object (docs/omise-compat.md §7.9), stating only what the code enforces: the
// card currencies and per-currency limits of charges/currencies.ts (charge-input.ts refuses the rest),
// the brands the vault tokenizes, and no transfers, installments, banks or wallet tokenization.
import { CARD_CURRENCIES, limitsOf } from '../charges/currencies.ts';

/**
 * The brands the vault accepts (services/vault/cards/card-number.ts `BRANDS`; the api may not import
 * the vault, so test/api.ledger.test.ts keeps the two lists equal).
 */
export const CARD_BRANDS = ['Visa', 'MasterCard', 'American Express', 'JCB', 'UnionPay', 'Discover', 'Diners Club'] as const;

export function presentCapability(account: { country: string; currency: string }) {
  // Omise states the limits of the account's own currency; other card currencies have theirs in currencies.ts.
  const limits = limitsOf(account.currency.toUpperCase());
  return {
    object: 'capability',
    location: '/capability',
    banks: [],
    country: account.country,
    limits: {
      charge_amount: limits ? { min: limits.min, max: limits.max } : null,
      transfer_amount: null,
      installment_amount: null,
    },
    payment_methods: [{
      object: 'payment_method', name: 'card', currencies: Object.keys(CARD_CURRENCIES), card_brands: [...CARD_BRANDS],
      installment_terms: null, banks: [], provider: null,
    }],
    tokenization_methods: [],
    zero_interest_installments: false,
  };
}
