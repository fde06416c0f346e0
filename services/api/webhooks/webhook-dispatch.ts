// Decides, inside an event's transaction, whether the event goes out as a webhook: when the merchant
// has an endpoint for that mode, a delivery job is queued in the same transaction.
import type { AfterRecord } from '../events/events.service.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { EndpointStore } from './webhook-endpoints.store.ts';

export function createWebhookDispatch(deps: { endpoints: Pick<EndpointStore, 'find'>; queue: Pick<DeliveryQueue, 'enqueue'> }): AfterRecord {
  return async (tx, event) => {
    if (await deps.endpoints.find(event.accountId, event.livemode, tx)) await deps.queue.enqueue(tx, event.id);
  };
}
