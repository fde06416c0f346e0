// The Omise transaction object (docs/omise-compat.md §7.10): one per ledger entry, the movement of
// the merchant's balance it booked. `key` is the entry kind (`charge.captured.net`, `refund`).
import { omiseTime } from '../lists/list-params.ts';
import type { LedgerEntryRow } from './ledger.store.ts';

export function presentTransaction(row: LedgerEntryRow) {
  return {
    object: 'transaction',
    id: row.id,
    livemode: row.livemode,
    location: `/transactions/${row.id}`,
    amount: row.amount,
    currency: row.currency,
    direction: row.direction,
    key: row.kind,
    origin: row.origin,
    transferable_at: omiseTime(row.transferable_at),
    created_at: omiseTime(row.created_at),
  };
}

export type TransactionView = ReturnType<typeof presentTransaction>;
