// Operation counters and latency per KMS operation, plus the seal state, in the Prometheus text
// format. Counters live in this process: each instance exposes its own, and a scraper sums them.
const BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] as const;
const RATE_WINDOW_S = 10;

// `slots`: completions per second for the last RATE_WINDOW_S seconds, a ring indexed by second.
type Series = { ok: number; failed: number; sumMs: number; buckets: number[]; slots: { second: number; count: number }[] };

export function createKmsMetrics(deps: { sealed: () => boolean; backend: string; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const series = new Map<string, Series>();

  function seriesOf(operation: string): Series {
    let s = series.get(operation);
    if (!s) {
      s = { ok: 0, failed: 0, sumMs: 0, buckets: BUCKETS_MS.map(() => 0), slots: Array.from({ length: RATE_WINDOW_S }, () => ({ second: -1, count: 0 })) };
      series.set(operation, s);
    }
    return s;
  }

  /** Operations per second over the last 10 s (a sliding window of completion times). */
  function rate(s: Series): number {
    const current = Math.floor(now() / 1000);
    let total = 0;
    for (const slot of s.slots) if (slot.second > current - RATE_WINDOW_S) total += slot.count;
    return total / RATE_WINDOW_S;
  }

  return {
    observe(operation: string, durationMs: number, ok: boolean): void {
      const s = seriesOf(operation);
      if (ok) s.ok++;
      else s.failed++;
      s.sumMs += durationMs;
      BUCKETS_MS.forEach((bound, i) => { if (durationMs <= bound) s.buckets[i]!++; });
      const second = Math.floor(now() / 1000);
      const slot = s.slots[second % RATE_WINDOW_S]!;
      if (slot.second !== second) {
        slot.second = second;
        slot.count = 0;
      }
      slot.count++;
    },
    /** Times `run` and records it under `operation`, successful or not. */
    async time<T>(operation: string, run: () => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        const result = await run();
        this.observe(operation, performance.now() - started, true);
        return result;
      } catch (error) {
        this.observe(operation, performance.now() - started, false);
        throw error;
      }
    },
    snapshot() {
      return Object.fromEntries([...series].map(([op, s]) => [op, {
        ok: s.ok, failed: s.failed, perSecond: rate(s), meanMs: s.ok + s.failed === 0 ? 0 : s.sumMs / (s.ok + s.failed),
      }]));
    },
    prometheus(): string {
      const lines = [
        '# HELP strongroom_kms_sealed 1 while the KMS is sealed (every key operation answers 503).',
        '# TYPE strongroom_kms_sealed gauge',
        `strongroom_kms_sealed{backend="${deps.backend}"} ${deps.sealed() ? 1 : 0}`,
        '# HELP strongroom_kms_operations_total Key operations by operation and outcome.',
        '# TYPE strongroom_kms_operations_total counter',
      ];
      for (const [op, s] of series) {
        lines.push(`strongroom_kms_operations_total{operation="${op}",outcome="success"} ${s.ok}`);
        lines.push(`strongroom_kms_operations_total{operation="${op}",outcome="failure"} ${s.failed}`);
      }
      lines.push('# HELP strongroom_kms_operations_per_second Operations per second over the last 10 s.', '# TYPE strongroom_kms_operations_per_second gauge');
      for (const [op, s] of series) lines.push(`strongroom_kms_operations_per_second{operation="${op}"} ${rate(s)}`);
      lines.push('# HELP strongroom_kms_operation_duration_ms Latency of key operations.', '# TYPE strongroom_kms_operation_duration_ms histogram');
      for (const [op, s] of series) {
        BUCKETS_MS.forEach((bound, i) => lines.push(`strongroom_kms_operation_duration_ms_bucket{operation="${op}",le="${bound}"} ${s.buckets[i]}`));
        lines.push(`strongroom_kms_operation_duration_ms_bucket{operation="${op}",le="+Inf"} ${s.ok + s.failed}`);
        lines.push(`strongroom_kms_operation_duration_ms_sum{operation="${op}"} ${s.sumMs}`);
        lines.push(`strongroom_kms_operation_duration_ms_count{operation="${op}"} ${s.ok + s.failed}`);
      }
      return lines.join('\n') + '\n';
    },
  };
}

export type KmsMetrics = ReturnType<typeof createKmsMetrics>;
