// Rate limits on the merchant API: per secret key (after auth), and per client IP for failed
// authentications (before auth, so key guessing is slowed before a key is even looked up). Over the
// limit: 429 too_many_requests with Retry-After. Counters live in this process's memory (token buckets,
// lib/http/token-buckets.ts): N instances behind a balancer allow up to N times the limit in total.
import type { FastifyInstance } from 'fastify';
import { createTokenBuckets, perMinuteLimit, refuseTooMany, type BucketLimit } from '#lib/http/index.ts';
import { merchantOf } from '../auth/secret-key.auth.ts';

export type RateLimits = {
  /** Requests per secret key. */
  readonly perKey: BucketLimit;
  /** Failed authentications (401) per client IP; once used up, every request from the IP waits. */
  readonly authFailuresPerIp: BucketLimit;
};

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perKey: { capacity: 1000, perSeconds: 60 },
  authFailuresPerIp: { capacity: 20, perSeconds: 60 },
};

/**
 * The api's `extra.rateLimits` config section (`{ perKeyPerMinute, authFailuresPerMinute }`, written by
 * the supervisor from STRONGROOM_API_RATE_LIMIT and STRONGROOM_API_AUTH_FAILURE_LIMIT); defaults for what is absent.
 */
export function readRateLimits(extra: Record<string, unknown>): RateLimits {
  const section = (extra.rateLimits ?? {}) as Record<string, unknown>;
  const perMinute = (name: string, fallback: BucketLimit) => perMinuteLimit(section, name, fallback, 'api');
  return {
    perKey: perMinute('perKeyPerMinute', DEFAULT_RATE_LIMITS.perKey),
    authFailuresPerIp: perMinute('authFailuresPerMinute', DEFAULT_RATE_LIMITS.authFailuresPerIp),
  };
}

/** Register in the merchant scope AFTER the secret-key auth hook (it needs the key's id). */
export function registerKeyRateLimit(app: FastifyInstance, limit: BucketLimit, options: { now?: () => number } = {}): void {
  const keys = createTokenBuckets(limit, options);
  app.addHook('onRequest', async (request, reply) => {
    const take = keys.take(merchantOf(request).keyId);
    if (!take.allowed) refuseTooMany(reply, take, 'too many requests for this key');
  });
}
