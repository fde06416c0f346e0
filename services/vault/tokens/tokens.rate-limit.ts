// Rate limits on the vault's public tokens API, against card testing (trying stolen card numbers one
// token at a time): failed authentications per client IP (checked before the public key is looked up),
// and POST /tokens per public key and per client IP. Over a limit: 429 too_many_requests with
// Retry-After, before the card is read or stored. Counters are token buckets in this process's memory
// (lib/http/token-buckets.ts): N vault instances allow up to N times the limit in total.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createTokenBuckets, networkKey, perMinuteLimit, refuseTooMany, type BucketLimit } from '#lib/http/index.ts';
import { merchantOf } from '../merchants/merchant.ts';

export type VaultRateLimits = {
  /** POST /tokens per public key. */
  readonly tokensPerKey: BucketLimit;
  /** POST /tokens per client IP, whatever the key. */
  readonly tokensPerIp: BucketLimit;
  /** Failed authentications (401) per client IP; once used up, every request from the IP waits. */
  readonly authFailuresPerIp: BucketLimit;
};

export const DEFAULT_VAULT_RATE_LIMITS: VaultRateLimits = {
  tokensPerKey: { capacity: 600, perSeconds: 60 },
  tokensPerIp: { capacity: 300, perSeconds: 60 },
  authFailuresPerIp: { capacity: 20, perSeconds: 60 },
};

/**
 * The vault's `extra.rateLimits` config section (`{ tokensPerKeyPerMinute, tokensPerIpPerMinute,
 * authFailuresPerMinute }`, written by the supervisor from STRONGROOM_VAULT_TOKEN_RATE_LIMIT,
 * STRONGROOM_VAULT_TOKEN_IP_RATE_LIMIT and STRONGROOM_VAULT_AUTH_FAILURE_LIMIT); defaults for what is absent.
 */
export function readVaultRateLimits(extra: Record<string, unknown>): VaultRateLimits {
  const section = (extra.rateLimits ?? {}) as Record<string, unknown>;
  const perMinute = (name: string, fallback: BucketLimit) => perMinuteLimit(section, name, fallback, 'vault');
  return {
    tokensPerKey: perMinute('tokensPerKeyPerMinute', DEFAULT_VAULT_RATE_LIMITS.tokensPerKey),
    tokensPerIp: perMinute('tokensPerIpPerMinute', DEFAULT_VAULT_RATE_LIMITS.tokensPerIp),
    authFailuresPerIp: perMinute('authFailuresPerMinute', DEFAULT_VAULT_RATE_LIMITS.authFailuresPerIp),
  };
}

type Options = { now?: () => number };

const isTokenCreation = (request: FastifyRequest) => request.method === 'POST' && request.routeOptions.url === '/tokens';

/** Register in the public-key scope AFTER the public-key auth hook (it needs the key's id). */
export function registerTokenCreationLimit(app: FastifyInstance, limits: Pick<VaultRateLimits, 'tokensPerKey' | 'tokensPerIp'>, options: Options = {}): void {
  const keys = createTokenBuckets(limits.tokensPerKey, options);
  const addresses = createTokenBuckets(limits.tokensPerIp, options);
  app.addHook('onRequest', async (request, reply) => {
    if (!isTokenCreation(request)) return;
    const keyId = merchantOf(request).keyId;
    // Both are checked before either is taken, so a refused request costs neither bucket.
    const byKey = keys.peek(keyId);
    if (!byKey.allowed) refuseTooMany(reply, byKey, 'too many tokens for this key');
    const network = networkKey(request.ip);
    const byAddress = addresses.peek(network);
    if (!byAddress.allowed) refuseTooMany(reply, byAddress, 'too many tokens from this address');
    keys.take(keyId);
    addresses.take(network);
  });
}
