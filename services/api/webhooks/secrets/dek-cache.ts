// Unwrapped data keys in memory, briefly: a bounded LRU whose entries expire a fixed time after they
// were unwrapped (not after last use, so a busy endpoint's key still leaves memory). A key leaving the
// cache (expiry, eviction, clear) is zeroised first. get() returns the cache's own buffer: use it
// before the next await, never keep it.

export function createDekCache(options: { maxEntries: number; ttlMs: number; now?: () => number }) {
  const { maxEntries, ttlMs } = options;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || !(ttlMs > 0)) throw new Error('dek cache: bad limits');
  // Map order is insertion order: the first entry is the least recently used.
  const entries = new Map<string, { key: Buffer; expiresAt: number }>();

  function drop(id: string) {
    entries.get(id)?.key.fill(0);
    entries.delete(id);
  }

  return {
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
    /** Takes ownership of `key`. */
    set(id: string, key: Buffer): void {
      if (entries.get(id)?.key !== key) drop(id);
      entries.set(id, { key, expiresAt: now() + ttlMs });
      while (entries.size > maxEntries) drop(entries.keys().next().value!);
    },
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
