// Group commit: requests that arrive while a batch is being written wait and go together in the next
// one, so a busy vault pays one transaction (one fsync) per batch instead of one per request, and
// every caller is answered only once its own item is durable. An idle vault writes a batch of one at
// once: nothing waits for a timer.
export type GroupCommitOptions<I, O> = {
  /** Writes a batch; returns one result per item, in order, or throws to fail the whole batch. */
  run(items: I[]): Promise<O[]>;
  maxBatch: number;
  /** Batches written at once (default 1). More overlap one batch's commit with the next one's work. */
  maxInFlight?: number;
};

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>) {
  type Pending = { item: I; resolve(value: O): void; reject(error: unknown): void };
  const maxInFlight = options.maxInFlight ?? 1;
  let queue: Pending[] = [];
  const running = new Set<Promise<void>>();

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, options.maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = await options.run(batch.map((pending) => pending.item));
        if (results.length !== batch.length) throw new Error('group commit: a batch returned the wrong number of results');
        batch.forEach((pending, i) => pending.resolve(results[i]!));
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
  }

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (running.size < maxInFlight) {
          const writer: Promise<void> = drain().finally(() => running.delete(writer));
          running.add(writer);
        }
      });
    },
    /** Waits for everything submitted so far. */
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all(running);
    },
    pending: () => queue.length,
    inFlight: () => running.size,
  };
}
