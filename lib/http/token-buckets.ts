// Token buckets, one per name (an API key id, a client IP), in this process's memory. A bucket holds up
// to `capacity` tokens and refills continuously at `capacity` per `perSeconds`; a request takes one.
// A bucket that has refilled to full is the same as no bucket, so it can be forgotten: that keeps the map
// bounded when many names pass by (at most `maxNames`, the least recently used dropped first).

export type BucketLimit = { readonly capacity: number; readonly perSeconds: number };
export type Take = { readonly allowed: boolean; readonly remaining: number; readonly retryAfterSeconds: number };

type Bucket = { tokens: number; at: number };

export function createTokenBuckets(limit: BucketLimit, options: { now?: () => number; maxNames?: number } = {}) {
  const { capacity, perSeconds } = limit;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('bucket capacity must be a whole number ≥ 1');
  if (!Number.isFinite(perSeconds) || perSeconds <= 0) throw new RangeError('bucket refill period must be > 0 seconds');
  const now = options.now ?? Date.now;
  const maxNames = options.maxNames ?? 100_000;
  // Refill is `elapsed × capacity / period`, multiplied first so whole periods come out exact; EPSILON
  // absorbs what floating point still loses, so a client waiting its Retry-After is never refused.
  const periodMs = perSeconds * 1000;
  const EPSILON = 1e-9;
  const buckets = new Map<string, Bucket>();

  function level(name: string, at: number): number {
    const bucket = buckets.get(name);
    if (!bucket) return capacity;
    return Math.min(capacity, bucket.tokens + (Math.max(0, at - bucket.at) * capacity) / periodMs);
  }

  /** Whole seconds until `tokens` reach one token (at least 1). */
  const waitFor = (tokens: number) => Math.max(1, Math.ceil(((1 - tokens) * perSeconds) / capacity - EPSILON));

  function forgetSome(at: number): void {
    for (const name of buckets.keys()) if (level(name, at) >= capacity - EPSILON) buckets.delete(name);
    // Still too many: drop the least recently used (Map order is insertion order; take() re-inserts),
    // down to 90 % so the next few new names do not pay for another sweep.
    for (const name of buckets.keys()) {
      if (buckets.size < Math.max(1, Math.floor(maxNames * 0.9))) break;
      buckets.delete(name);
    }
  }

  return {
    /** Takes a token if there is one. */
    take(name: string): Take {
      const at = now();
      const tokens = level(name, at);
      if (tokens < 1 - EPSILON) return { allowed: false, remaining: 0, retryAfterSeconds: waitFor(tokens) };
      buckets.delete(name);
      if (buckets.size >= maxNames) forgetSome(at);
      buckets.set(name, { tokens: Math.max(0, tokens - 1), at });
      return { allowed: true, remaining: Math.max(0, Math.floor(tokens - 1 + EPSILON)), retryAfterSeconds: 0 };
    },
    /** Whether a token is there, without taking it. */
    peek(name: string): Take {
      const tokens = level(name, now());
      return tokens < 1 - EPSILON
        ? { allowed: false, remaining: 0, retryAfterSeconds: waitFor(tokens) }
        : { allowed: true, remaining: Math.floor(tokens + EPSILON), retryAfterSeconds: 0 };
    },
    /** How many names are remembered. */
    size: () => buckets.size,
  };
}
export type TokenBuckets = ReturnType<typeof createTokenBuckets>;
