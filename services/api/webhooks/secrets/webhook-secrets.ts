// Webhook signing secrets at rest, by envelope encryption (docs/webhooks.md, "Storage and
// privileges"): each endpoint's secret is sealed (AES-256-GCM, bound to account and mode) under a data
// key of its own from the KMS, made under the merchant's KEK `webhook-secret.<account>` (the api's
// alone, lib/contracts/kms.ts). The row keeps the sealed secret and the wrapped data key, never the
// secret. Opening asks the KMS to unwrap the data key, which then stays a few minutes in memory.
// Fails closed: a KMS that cannot serve raises KmsUnavailableError here, and nothing falls back.
import { parseWrapped } from '#lib/contracts/index.ts';
import type { KmsClient } from '#lib/kms-client/index.ts';
import { createDekCache } from './dek-cache.ts';
import { DEK_BYTES, openSecret, SecretCipherError, sealSecret, type EndpointBinding } from './secret-cipher.ts';

export const WEBHOOK_SECRET_KEK = 'webhook-secret';
export const kekOf = (accountId: string) => `${WEBHOOK_SECRET_KEK}.${accountId}`;
export const SECRET_CACHE_DEFAULTS = { ttlMs: 5 * 60_000, maxEntries: 1_000 } as const;

/** The two columns of `webhook_endpoints` that hold a secret. */
export type SealedSecret = { secret_wrapped_key: string; secret_ciphertext: Buffer };
export type SealedEndpoint = SealedSecret & { account_id: string; livemode: boolean };

/** The secret cannot be had from this row: tampered, moved, or an unexpected KMS answer. Never retried into success. */
export class WebhookSecretError extends Error {
  readonly code: 'unreadable' | 'invalid_kms_answer';
  constructor(code: WebhookSecretError['code']) {
    super(code === 'unreadable' ? 'the webhook secret of this endpoint cannot be opened' : 'the KMS answered with a data key for another key');
    this.name = 'WebhookSecretError';
    this.code = code;
  }
}

// Decodes into a buffer of our own (not Node's shared pool), so zeroising it clears the bytes.
function decodeKey(base64: string): Buffer {
  if (Buffer.byteLength(base64, 'base64') !== DEK_BYTES) throw new WebhookSecretError('invalid_kms_answer');
  const key = Buffer.alloc(DEK_BYTES);
  key.write(base64, 'base64');
  return key;
}

export function createWebhookSecrets(deps: {
  kms: Pick<KmsClient, 'dataKey' | 'decrypt'>; cacheTtlMs?: number; cacheMaxEntries?: number; now?: () => number;
}) {
  const { kms } = deps;
  const ttlMs = deps.cacheTtlMs ?? SECRET_CACHE_DEFAULTS.ttlMs;
  const cache = createDekCache({ maxEntries: deps.cacheMaxEntries ?? SECRET_CACHE_DEFAULTS.maxEntries, ttlMs, now: deps.now });
  // Single flight: concurrent deliveries to one endpoint wait for one unwrap.
  const unwrapping = new Map<string, Promise<void>>();
  // Expired keys leave memory even when nobody asks for them again.
  const sweeper = setInterval(() => cache.sweep(), Math.min(ttlMs, 60_000));
  sweeper.unref();

  async function unwrap(wrapped: string, keyId: string): Promise<void> {
    const answer = await kms.decrypt(wrapped);
    const key = decodeKey(answer.plaintext);
    if (answer.key_id !== keyId) {
      key.fill(0);
      throw new WebhookSecretError('invalid_kms_answer');
    }
    cache.set(wrapped, key);
  }

  return {
    /** Seals a 32-byte secret (the caller zeroises it) for an endpoint, under a new data key. */
    async seal(binding: EndpointBinding, secret: Buffer): Promise<SealedSecret> {
      const keyId = kekOf(binding.accountId);
      const fresh = await kms.dataKey(keyId);
      if (fresh.key_id !== keyId || parseWrapped(fresh.wrapped)?.keyId !== keyId) throw new WebhookSecretError('invalid_kms_answer');
      const dek = decodeKey(fresh.plaintext);
      try {
        return { secret_wrapped_key: fresh.wrapped, secret_ciphertext: sealSecret(dek, secret, binding) };
      } finally {
        dek.fill(0);
      }
    },

    /** The endpoint's 32-byte secret; the caller zeroises it when done. */
    async open(endpoint: SealedEndpoint): Promise<Buffer> {
      const keyId = kekOf(endpoint.account_id);
      const wrapped = endpoint.secret_wrapped_key;
      // Another merchant's wrapped key would unwrap at the KMS (the api may use every merchant's KEK): refuse it here.
      if (parseWrapped(wrapped)?.keyId !== keyId) throw new WebhookSecretError('unreadable');
      for (let attempt = 0; attempt < 3; attempt++) {
        const dek = cache.get(wrapped);
        if (dek) {
          try {
            return openSecret(dek, endpoint.secret_ciphertext, { accountId: endpoint.account_id, livemode: endpoint.livemode });
          } catch (error) {
            throw error instanceof SecretCipherError ? new WebhookSecretError('unreadable') : error;
          }
        }
        let flight = unwrapping.get(wrapped);
        if (!flight) {
          flight = unwrap(wrapped, keyId).finally(() => unwrapping.delete(wrapped));
          unwrapping.set(wrapped, flight);
        }
        await flight;
      }
      // Only if the cache kept evicting the key between its unwrap and this read (a cache far too small).
      throw new WebhookSecretError('unreadable');
    },

    /** Forgets (and zeroises) every cached data key. */
    close() {
      clearInterval(sweeper);
      cache.clear();
    },
  };
}

export type WebhookSecrets = ReturnType<typeof createWebhookSecrets>;
