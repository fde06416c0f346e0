// Events of a merchant (docs/omise-compat.md §7.6, §8.6, §12.3). `record` is the change listener
// (services/api/changes): it writes the event in the transaction that made the change, with the
// object as the API presented it, and hands it to `afterRecord` (webhook delivery) in that same
// transaction, so a change, its event and its delivery job commit together or not at all.
import { idPattern, newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Transaction } from '#lib/db/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { Change } from '../changes/changes.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import type { DeliveryStore } from '../webhooks/webhook-deliveries.store.ts';
import type { EventStore } from './events.store.ts';
import { presentEvent } from './event-view.ts';

const EVENT_ID = idPattern('event');

/** What follows an event inside its transaction (the webhook queue). */
export type AfterRecord = (tx: Transaction<ApiDatabase>, event: { id: string; accountId: string; livemode: boolean }) => Promise<void>;

export function eventNotFound(id: string) {
  // Only an id of the right shape is echoed: the message never carries arbitrary input.
  return httpError(404, 'not_found', EVENT_ID.test(id) ? `event ${id} was not found` : 'event was not found');
}

export function createEventService(deps: { store: EventStore; deliveries: Pick<DeliveryStore, 'forEvents'>; afterRecord?: AfterRecord; now?: () => Date }) {
  const { store, deliveries } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /** The change listener: registered with `changes.on` in server.ts. */
    async record(tx: Transaction<ApiDatabase>, change: Change): Promise<void> {
      const { accountId, livemode } = change.merchant;
      const id = newId('event', livemode);
      await store.insert(tx, { id, account_id: accountId, livemode, key: change.key, data: JSON.stringify(change.data), created_at: change.at });
      await deps.afterRecord?.(tx, { id, accountId, livemode });
    },

    async retrieve(merchant: Merchant, id: string) {
      const row = EVENT_ID.test(id) ? await store.find(merchant.accountId, merchant.livemode, id) : undefined;
      if (!row) throw eventNotFound(id);
      const attempts = await deliveries.forEvents(merchant.accountId, merchant.livemode, [row.id]);
      return presentEvent(row, attempts.get(row.id) ?? []);
    },

    async list(merchant: Merchant, query: unknown) {
      const params = parseListParams(query, now());
      const { rows, total } = await store.list(merchant.accountId, merchant.livemode, params);
      const attempts = await deliveries.forEvents(merchant.accountId, merchant.livemode, rows.map((row) => row.id));
      return listObject(params, '/events', rows.map((row) => presentEvent(row, attempts.get(row.id) ?? [])), total);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
