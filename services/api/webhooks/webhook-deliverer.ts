// One delivery attempt (a pg-boss job): the event as Omise POSTs it (webhook_deliveries empty), signed
// with the endpoint's current secret, sent to its current URL. Every attempt is stored, delivered or
// not; anything but a 2xx throws, which makes pg-boss retry the job later with backoff. An event whose
// endpoint was removed since is not delivered (nothing to retry). Nothing is ever sent unsigned: when
// the KMS cannot open the secret the delivery is postponed (DeliveryDeferred), and a secret that
// cannot be opened at all (a tampered or moved row) fails the attempt before anything is sent.
import { idPattern, newId } from '#lib/contracts/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { Logger } from 'pino';
import { presentEvent } from '../events/event-view.ts';
import type { EventStore } from '../events/events.store.ts';
import { DeliveryDeferred, type DeliveryHandler } from './delivery-queue.ts';
import type { WebhookSecrets } from './secrets/webhook-secrets.ts';
import type { DeliveryStore } from './webhook-deliveries.store.ts';
import type { EndpointRow, EndpointStore } from './webhook-endpoints.store.ts';
import type { SendOutcome, WebhookSender } from './webhook-sender.ts';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.ts';

const EVENT_ID = idPattern('event');

export const isDelivered = (outcome: SendOutcome) => outcome.status !== null && outcome.status >= 200 && outcome.status < 300;

export function createWebhookDeliverer(deps: {
  events: Pick<EventStore, 'findForDelivery'>; endpoints: Pick<EndpointStore, 'find'>; deliveries: Pick<DeliveryStore, 'insert'>;
  secrets: Pick<WebhookSecrets, 'open'>; sender: Pick<WebhookSender, 'post'>; logger: Pick<Logger, 'info' | 'warn' | 'error'>; now?: () => Date;
}): DeliveryHandler {
  const now = deps.now ?? (() => new Date());

  /** The endpoint's secret, opened for this signature only. */
  async function secretOf(endpoint: EndpointRow, eventId: string): Promise<Buffer> {
    try {
      return await deps.secrets.open(endpoint);
    } catch (error) {
      if (error instanceof KmsUnavailableError) {
        deps.logger.warn({ event: eventId, reason: error.reason }, 'webhook postponed: the KMS cannot open its signing secret now');
        throw new DeliveryDeferred(`the KMS is ${error.reason}`);
      }
      deps.logger.error({ event: eventId, error: error instanceof Error ? error.message : 'unknown' }, 'webhook not sent: its signing secret cannot be opened');
      throw error;
    }
  }

  return async (job) => {
    const eventId = job.data?.event_id;
    const event = typeof eventId === 'string' && EVENT_ID.test(eventId) ? await deps.events.findForDelivery(eventId) : undefined;
    if (!event) return;
    const endpoint = await deps.endpoints.find(event.account_id, event.livemode);
    if (!endpoint) return;
    const payload = JSON.stringify(presentEvent(event, []));
    const secret = await secretOf(endpoint, event.id);
    const timestamp = Math.floor(now().getTime() / 1000);
    let signature: string;
    try {
      signature = signWebhook(secret, timestamp, payload);
    } finally {
      secret.fill(0);
    }
    const outcome = await deps.sender.post(endpoint.uri, payload, {
      [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: String(timestamp),
    }, { livemode: event.livemode, signal: job.signal });
    const id = newId('webhook_delivery', event.livemode);
    await deps.deliveries.insert({
      id, event_id: event.id, account_id: event.account_id, livemode: event.livemode, uri: endpoint.uri,
      status: outcome.status, error: outcome.error, payload,
    });
    const context = { event: event.id, delivery: id, attempt: job.retryCount + 1, status: outcome.status };
    if (isDelivered(outcome)) return deps.logger.info(context, 'webhook delivered');
    deps.logger.warn({ ...context, error: outcome.error }, 'webhook not delivered');
    throw new Error(outcome.status === null ? `webhook not delivered: ${outcome.error}` : `webhook endpoint answered ${outcome.status}`);
  };
}
