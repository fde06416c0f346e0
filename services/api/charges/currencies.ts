// Card currencies and charge limits (docs/omise-compat.md §9), in each currency's smallest unit.
// THB, JPY, SGD and MYR carry Omise's documented limits for accounts funded in them. The limits of
// the other card currencies are not documented ([U]): a 1.00 minimum and a 100,000.00 maximum.

export type CurrencyLimits = { readonly min: number; readonly max: number };

const OTHER: CurrencyLimits = { min: 100, max: 10_000_000 };

export const CARD_CURRENCIES: Readonly<Record<string, CurrencyLimits>> = {
  THB: { min: 2_000, max: 15_000_000 },
  JPY: { min: 100, max: 6_000_000 },
  SGD: { min: 100, max: 2_000_000 },
  MYR: { min: 100, max: 10_000_000 },
  USD: OTHER, EUR: OTHER, GBP: OTHER, AUD: OTHER, CAD: OTHER, CHF: OTHER, CNY: OTHER, DKK: OTHER, HKD: OTHER,
};

/** The limits of an upper-case currency code, or undefined when it is not supported. */
export function limitsOf(currency: string): CurrencyLimits | undefined {
  return Object.hasOwn(CARD_CURRENCIES, currency) ? CARD_CURRENCIES[currency] : undefined;
}
