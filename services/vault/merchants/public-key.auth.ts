// Authenticates vault-host requests by public key (HTTP Basic, key as user name, as the official
// `omise` clients and Omise.js send it). Secret keys are refused here: card data never needs one, and
// a secret key sent to the card host is a mistake to stop, not to honour. Lookups are cached briefly
// (a removed key stops working within CACHE_TTL_MS), so tokenization does not query keys per request.
import type { FastifyInstance } from 'fastify';
import { hashApiKey, keyFromAuthorization } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Merchant } from './merchant.ts';
import type { PublicKeyStore } from './public-keys.store.ts';

export const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

export function createPublicKeyResolver(store: Pick<PublicKeyStore, 'findByHash'>, now: () => number = Date.now) {
  const cache = new Map<string, { merchant: Merchant | null; until: number }>();
  return {
    async resolve(key: string): Promise<Merchant | null> {
      const hash = hashApiKey(key);
      const hit = cache.get(hash);
      if (hit && hit.until > now()) return hit.merchant;
      const row = await store.findByHash(hash);
      const merchant = row && row.livemode === !key.startsWith('pkey_test_')
        ? { accountId: row.account_id, livemode: row.livemode, keyId: row.key_id }
        : null;
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(hash, { merchant, until: now() + CACHE_TTL_MS });
      return merchant;
    },
    /** Forget everything cached (after the api pushed a change to this instance). */
    clear: () => cache.clear(),
  };
}

export type PublicKeyResolver = ReturnType<typeof createPublicKeyResolver>;

/** Call inside the encapsulated scope of the routes that need a public key. */
export function registerPublicKeyAuth(app: FastifyInstance, deps: { resolver: PublicKeyResolver }) {
  app.decorateRequest('merchant', null);
  app.addHook('onRequest', async (request) => {
    const key = keyFromAuthorization(request.headers.authorization);
    if (!key || !key.startsWith('pkey_')) throw httpError(401, 'authentication_failure', 'authentication failed');
    const merchant = await deps.resolver.resolve(key);
    if (!merchant) throw httpError(401, 'authentication_failure', 'authentication failed');
    request.merchant = merchant;
  });
}
