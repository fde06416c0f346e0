// A merchant's webhook endpoint, one per mode, set the Omise way with `PATCH /account {webhook_uri}`
// (docs/omise-compat.md §8.6, §12.1). Setting an endpoint issues a new signing secret, which is
// answered this once (Strongroom's `webhook_secret` extension field) and never shown again: a merchant
// who lost it sets the endpoint again. `null` or an empty string removes the endpoint and its secret.
// The secret is stored sealed under a KMS data key (secrets/webhook-secrets.ts); while the KMS cannot
// serve, setting an endpoint answers 503 and changes nothing.
import type { Kysely } from '#lib/db/index.ts';
import { httpError } from '#lib/http/index.ts';
import { KmsUnavailableError } from '#lib/kms-client/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import type { ApiDatabase } from '../db.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { RequestOrigin } from '../customers/customers.audit.ts';
import type { EndpointStore } from './webhook-endpoints.store.ts';
import { SECRET_BYTES } from './secrets/secret-cipher.ts';
import type { SealedSecret, WebhookSecrets } from './secrets/webhook-secrets.ts';
import { newWebhookSecret } from './webhook-signature.ts';
import { readWebhookUri, type ResolveHost } from './webhook-uri.ts';
import { WEBHOOK_AUDIT, webhookAuditRecord } from './webhooks.audit.ts';

export type EndpointChange = { uri: string | null; secret: string | null };

export function createWebhookEndpointService(deps: {
  db: Kysely<ApiDatabase>; store: EndpointStore; audit: Pick<Audit, 'record'>; secrets: Pick<WebhookSecrets, 'seal'>;
  allowPrivateTestHosts: boolean; resolve?: ResolveHost; now?: () => Date;
}) {
  const { db, store, audit } = deps;
  const now = deps.now ?? (() => new Date());

  async function sealed(merchant: Merchant, secret: string): Promise<SealedSecret> {
    const bytes = Buffer.alloc(SECRET_BYTES);
    bytes.write(secret, 'base64');
    try {
      return await deps.secrets.seal({ accountId: merchant.accountId, livemode: merchant.livemode }, bytes);
    } catch (error) {
      if (error instanceof KmsUnavailableError) throw httpError(503, 'service_unavailable', 'webhook endpoints cannot be set right now, try again shortly');
      throw error;
    } finally {
      bytes.fill(0);
    }
  }

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
      const seal = await sealed(merchant, secret);
      await db.transaction().execute(async (tx) => {
        await store.put(tx, { account_id: merchant.accountId, livemode: merchant.livemode, uri, ...seal }, now());
        await audit.record(tx, webhookAuditRecord(merchant, WEBHOOK_AUDIT.endpointSet, origin, { host: new URL(uri).host }));
      });
      return { uri, secret };
    },
  };
}

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;
