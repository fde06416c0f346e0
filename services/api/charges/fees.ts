// Card fees on a charge (docs/omise-compat.md §7.3): fee = round(base × fee_rate%), fee_vat =
// round(fee × vat_rate%), net = base − fee − fee_vat, halves rounded up. Rates are kept in basis
// points of a percent (3.65 % = 365) so the arithmetic is exact in integers.

export type FeeRates = { readonly feeRateBp: number; readonly vatRateBp: number };

/** The Thai test account's rates (3.65 % fee, 7 % VAT). Snapshotted on each charge when it is created. */
export const DEFAULT_CARD_FEES: FeeRates = { feeRateBp: 365, vatRateBp: 700 };

/** round(value × bp / 10 000), halves up, for non-negative safe integers and rates. */
function applyRate(value: number, bp: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || !Number.isSafeInteger(bp) || bp < 0) throw new RangeError('fee base and rate must be non-negative safe integers');
  // In bigint: 10^12 × 10^4 would pass 2^53 in a double.
  return Number((BigInt(value) * BigInt(bp) + 5_000n) / 10_000n);
}

export function computeFees(base: number, rates: FeeRates): { fee: number; fee_vat: number; net: number } {
  const fee = applyRate(base, rates.feeRateBp);
  const feeVat = applyRate(fee, rates.vatRateBp);
  return { fee, fee_vat: feeVat, net: base - fee - feeVat };
}

/** Omise writes rates as decimal strings: 365 → "3.65", 700 → "7.0", 0 → "0.0". */
export function rateString(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const cents = String(bp % 100).padStart(2, '0').replace(/0$/, '');
  return `${whole}.${cents === '' ? '0' : cents}`;
}

export function transactionFees(rates: FeeRates) {
  return { fee_flat: '0.0', fee_rate: rateString(rates.feeRateBp), vat_rate: rateString(rates.vatRateBp) };
}
