// Assembly of the webhook capability (endpoints, delivery queue, sender, worker) for server.ts.
import type { Logger } from 'pino';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { EventStore } from '../events/events.store.ts';
import { createDeliveryQueue } from './delivery-queue.ts';
import { createWebhookSecrets } from './secrets/webhook-secrets.ts';
import type { WebhookConfig } from './webhook-config.ts';
import { createDeliveryStore } from './webhook-deliveries.store.ts';
import { createWebhookDeliverer } from './webhook-deliverer.ts';
import { createWebhookDispatch } from './webhook-dispatch.ts';
import { createEndpointStore } from './webhook-endpoints.store.ts';
import { createWebhookEndpointService } from './webhook-endpoints.service.ts';
import { createWebhookSender } from './webhook-sender.ts';

export function createWebhooks(deps: {
  db: Kysely<ApiDatabase>; audit: Pick<Audit, 'record'>; logger: Logger; databaseUrl: string; config: WebhookConfig; events: Pick<EventStore, 'findForDelivery'>;
  /** The api's KMS client: endpoint secrets are sealed under its data keys (the caller closes it). */
  kms: Pick<KmsClient, 'dataKey' | 'decrypt'>;
}) {
  const { db, config, logger } = deps;
  const secrets = createWebhookSecrets({ kms: deps.kms });
  const endpointStore = createEndpointStore(db);
  const deliveries = createDeliveryStore(db);
  const queue = createDeliveryQueue({ databaseUrl: deps.databaseUrl, logger, config });
  const sender = createWebhookSender(config);
  return {
    endpoints: createWebhookEndpointService({ db, store: endpointStore, audit: deps.audit, secrets, allowPrivateTestHosts: config.allowPrivateTestHosts }),
    deliveries,
    /** The events service's `afterRecord`: queues a delivery when the merchant has an endpoint. */
    dispatch: createWebhookDispatch({ endpoints: endpointStore, queue }),
    start: () => queue.start(createWebhookDeliverer({ events: deps.events, endpoints: endpointStore, deliveries, secrets, sender, logger })),
    async stop() {
      await queue.stop();
      await sender.close();
      secrets.close();
    },
  };
}
