// The rate-limit pieces the api and the vault share: reading a per-minute limit from a service's
// `extra.rateLimits` config, the 429 answer (Retry-After and the API's error object), and the limit on
// failed authentications per client IP, checked before any key is looked up so key guessing is slowed
// first. Counters are token buckets in this process's memory (token-buckets.ts).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { httpError } from './errors.ts';
import { networkKey } from './network-key.ts';
import { createTokenBuckets, type BucketLimit, type Take } from './token-buckets.ts';

/** `section[name]` as a per-minute limit, `fallback` when absent; anything but a whole number ≥ 1 stops the start. */
export function perMinuteLimit(section: Record<string, unknown>, name: string, fallback: BucketLimit, service: string): BucketLimit {
  const value = section[name];
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${service} config rateLimits.${name} must be a whole number ≥ 1`);
  return { capacity: value as number, perSeconds: 60 };
}

export function refuseTooMany(reply: FastifyReply, take: Take, message: string): never {
  reply.header('retry-after', String(take.retryAfterSeconds));
  throw httpError(429, 'too_many_requests', `${message}; retry after ${take.retryAfterSeconds} s`);
}

/**
 * Register BEFORE the key authentication hook: once a client network (networkKey) has used up its
 * failures, every request from it waits. Failures are counted as they are answered, so guesses sent
 * all at once can pass the check together before the first is counted; the limit bounds sustained
 * guessing, not one burst (taking on arrival would refuse a merchant's legitimate concurrent calls).
 */
export function registerAuthFailureLimit(app: FastifyInstance, limit: BucketLimit, options: { now?: () => number } = {}): void {
  const failures = createTokenBuckets(limit, options);
  app.addHook('onRequest', async (request, reply) => {
    const take = failures.peek(networkKey(request.ip));
    if (!take.allowed) refuseTooMany(reply, take, 'too many failed authentications from this address');
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) failures.take(networkKey(request.ip));
  });
}
