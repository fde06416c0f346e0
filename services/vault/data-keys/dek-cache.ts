// Plaintext DEKs in memory: a bounded LRU whose entries expire a fixed time after they were fetched
// (not after last use, so a busy key still leaves memory). A buffer leaving the cache, by eviction,
// expiry, deletion or clear(), is zeroised first. The cache owns its buffers: callers get copies.

export type DekCacheOptions = { maxEntries: number; ttlMs: number; now: () => number };

export function createDekCache(options: DekCacheOptions) {
  const { maxEntries, ttlMs, now } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('dek cache: maxEntries must be a positive integer');
  if (!(ttlMs > 0)) throw new Error('dek cache: ttlMs must be positive');
  // Map iteration order is insertion order: the first entry is the least recently used.
  const entries = new Map<string, { key: Buffer; expiresAt: number }>();

  function drop(id: string) {
    const entry = entries.get(id);
    if (!entry) return;
    entry.key.fill(0);
    entries.delete(id);
  }

  return {
    /** The live buffer (owned by the cache: copy it before any await), or undefined. */
    get(id: string): Buffer | undefined {
      const entry = entries.get(id);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        drop(id);
        return undefined;
      }
      entries.delete(id);
      entries.set(id, entry);
      return entry.key;
    },
    /** Takes ownership of `key`. `expiresAt` defaults to now + ttl and is never later than that. */
    set(id: string, key: Buffer, expiresAt?: number): void {
      const limit = now() + ttlMs;
      const at = Math.min(expiresAt ?? limit, limit);
      if (entries.get(id)?.key !== key) drop(id);
      if (at <= now()) {
        key.fill(0);
        return;
      }
      entries.delete(id);
      entries.set(id, { key, expiresAt: at });
      while (entries.size > maxEntries) drop(entries.keys().next().value!);
    },
    delete: drop,
    /** Drops (and zeroises) every expired entry. */
    sweep(): void {
      const at = now();
      for (const [id, entry] of entries) if (entry.expiresAt <= at) drop(id);
    },
    clear(): void {
      for (const id of [...entries.keys()]) drop(id);
    },
    get size() {
      return entries.size;
    },
  };
}

export type DekCache = ReturnType<typeof createDekCache>;
