// A merchant's webhook endpoint, one per mode, set the Omise way with `PATCH /account {webhook_uri}`
// (docs/omise-compat.md §8.6, §12.1). Setting an endpoint issues a new signing secret, which is
// answered this once (Strongroom's `webhook_secret` extension field) and never shown again: a merchant
// who lost it sets the endpoint again. `null` or an empty string removes the endpoint and its secret.
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { RequestOrigin } from '../customers/customers.audit.ts';
import type { EndpointStore } from './webhook-endpoints.store.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import { readWebhookUri, type ResolveHost } from './webhook-uri.ts';
import { WEBHOOK_AUDIT, webhookAuditRecord } from './webhooks.audit.ts';

export type EndpointChange = { uri: string | null; secret: string | null };

export function createWebhookEndpointService(deps: {
  db: Kysely<ApiDatabase>; store: EndpointStore; audit: Pick<Audit, 'record'>;
  allowPrivateTestHosts: boolean; resolve?: ResolveHost; now?: () => Date;
}) {
  const { db, store, audit } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async uriOf(merchant: Merchant): Promise<string | null> {
      return (await store.find(merchant.accountId, merchant.livemode))?.uri ?? null;
    },

    async set(merchant: Merchant, raw: string | null, origin: RequestOrigin): Promise<EndpointChange> {
      if (raw === null || raw === '') {
        await db.transaction().execute(async (tx) => {
          const removed = await store.remove(tx, merchant.accountId, merchant.livemode);
          if (removed.numDeletedRows > 0n) await audit.record(tx, webhookAuditRecord(merchant, WEBHOOK_AUDIT.endpointRemoved, origin, {}));
        });
        return { uri: null, secret: null };
      }
      const uri = await readWebhookUri(raw, { livemode: merchant.livemode, allowPrivateTestHosts: deps.allowPrivateTestHosts, resolve: deps.resolve });
      const secret = newWebhookSecret();
      await db.transaction().execute(async (tx) => {
        await store.put(tx, { account_id: merchant.accountId, livemode: merchant.livemode, uri, secret }, now());
        await audit.record(tx, webhookAuditRecord(merchant, WEBHOOK_AUDIT.endpointSet, origin, { host: new URL(uri).host }));
      });
      return { uri, secret };
    },
  };
}

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;
