// A merchant-visible state change (an Omise event key plus the object as the merchant sees it after the
// change), recorded inside the same transaction that made the change. Listeners (the event log that
// feeds webhooks, the ledger) write their rows in that transaction too, so a change, its event and its
// money movements commit together or not at all.
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';

/** Event keys Strongroom emits (docs/omise-compat.md §12.3). */
export const CHANGE_KEYS = [
  'charge.create', 'charge.update', 'charge.capture', 'charge.reverse', 'charge.complete', 'charge.expire',
  'refund.create',
  'customer.create', 'customer.update', 'customer.destroy', 'customer.update.card',
  'card.update', 'card.destroy',
] as const;
export type ChangeKey = (typeof CHANGE_KEYS)[number];

/** The object after the change, exactly as the API presents it (never card data beyond card metadata). */
export type ChangedObject = { object: string; id: string } & Record<string, unknown>;

export type Change = { merchant: Pick<Merchant, 'accountId' | 'livemode'>; key: ChangeKey; data: ChangedObject; at: Date };
export type ChangeListener = (tx: Transaction<ApiDatabase>, change: Change) => Promise<void>;

export function createChanges() {
  const listeners: ChangeListener[] = [];
  return {
    /** Listeners run in registration order, in the caller's transaction; one that throws rolls the change back. */
    on(listener: ChangeListener) {
      listeners.push(listener);
    },
    async record(tx: Transaction<ApiDatabase>, change: Change) {
      for (const listener of listeners) await listener(tx, change);
    },
  };
}

export type Changes = ReturnType<typeof createChanges>;
/** What a service needs to announce its changes. */
export type ChangeRecorder = Pick<Changes, 'record'>;
export const IGNORE_CHANGES: ChangeRecorder = { record: async () => undefined };
