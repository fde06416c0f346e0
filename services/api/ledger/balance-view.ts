// The Omise balance object (docs/omise-compat.md §7.8) from the sums of the merchant_balance lines.
// `total` is everything booked (it goes below zero when refunds pass what is left, since fees are not
// returned); `transferable` is what has settled and is owed, never below zero nor above the total;
// `on_hold` is the rest of what is owed, waiting for settlement; nothing is held in reserve.
import { omiseTime } from '../lists/list-params.ts';
import type { MerchantSums } from './ledger.store.ts';

export function balanceAmounts(sums: MerchantSums): { total: number; transferable: number; reserve: number; on_hold: number } {
  const owed = Math.max(sums.total, 0);
  const transferable = Math.min(Math.max(sums.matured, 0), owed);
  return { total: sums.total, transferable, reserve: 0, on_hold: owed - transferable };
}

export function presentBalance(livemode: boolean, currency: string, sums: MerchantSums, at: Date) {
  return { object: 'balance', livemode, location: '/balance', currency, ...balanceAmounts(sums), created_at: omiseTime(at) };
}
