// The Omise event and webhook delivery objects (docs/omise-compat.md §7.6). `data` is the snapshot
// stored when the change was made; the payload POSTed to an endpoint is this object with an empty
// `webhook_deliveries`, as Omise sends it.
import { omiseTime } from '../lists/list-params.ts';
import type { DeliveryRow } from '../webhooks/webhook-deliveries.store.ts';
import type { EventRow } from './events.store.ts';

export function presentDelivery(row: DeliveryRow, key: string) {
  return {
    object: 'webhook_delivery' as const,
    id: row.id,
    uri: row.uri,
    status: row.status,
    key,
    error: row.error,
    payload: row.payload,
    created_at: omiseTime(row.created_at),
  };
}

export function presentEvent(row: EventRow, deliveries: readonly DeliveryRow[]) {
  return {
    object: 'event' as const,
    id: row.id,
    livemode: row.livemode,
    location: `/events/${row.id}`,
    key: row.key,
    created_at: omiseTime(row.created_at),
    data: row.data,
    webhook_deliveries: deliveries.map((delivery) => presentDelivery(delivery, row.key)),
  };
}
export type EventView = ReturnType<typeof presentEvent>;
