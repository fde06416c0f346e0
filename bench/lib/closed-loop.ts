// Closed-loop load: WORKERS clients, each sending its next request as soon as the last one answered, on
// one kept-alive TLS pool, for a fixed time. Shared by the benchmarks in bench/.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export type Answer = { status: number; body: unknown };
/** null when the answer is what the benchmark expects, else a short description of the problem. */
export type Check = (answer: Answer) => string | null;
export type PhaseResult = { ok: number; errors: number; seconds: number; latencies: Float64Array; problems: Map<string, number>; ids: string[] };
/** One unit of work (one or more requests). Its latency is what the loop measures. */
export type Step = (pool: Pool) => Promise<Answer>;

export const basicAuth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** The error code of an answer, never its body (a body could carry card metadata). */
export function describeAnswer(answer: Answer): string {
  const code = typeof answer.body === 'object' && answer.body !== null ? (answer.body as { code?: unknown }).code : undefined;
  return `HTTP ${answer.status}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** POSTs a JSON body and parses the answer (undefined body when it is not JSON). */
export async function postJson(pool: Pool, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const response = await pool.request({ path, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, body: parsed };
}

/** Answers that pass `check` count as ok and their `id` is kept (for durability checks after the run). */
export async function drive(options: { origin: string; caPem: string; workers: number; seconds: number; step: Step; check: Check }): Promise<PhaseResult> {
  const { workers, seconds, step, check } = options;
  const pool = new Pool(options.origin, { connect: { ca: options.caPem }, connections: workers, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const problems = new Map<string, number>();
  const ids: string[] = [];
  let ok = 0;
  let errors = 0;
  const fail = (problem: string) => {
    errors++;
    problems.set(problem, (problems.get(problem) ?? 0) + 1);
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const answer = await step(pool);
          latencies.push(performance.now() - t0);
          const problem = check(answer);
          if (problem !== null) {
            fail(problem);
            continue;
          }
          ok++;
          ids.push(String((answer.body as { id: unknown }).id));
        } catch (error) {
          fail(`transport: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }));
  } finally {
    await pool.close();
  }
  return { ok, errors, seconds: (performance.now() - started) / 1000, latencies: Float64Array.from(latencies).sort(), problems, ids };
}

export const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

export function summarize(label: string, result: PhaseResult) {
  const rate = result.ok / result.seconds;
  const p50 = percentile(result.latencies, 0.5);
  const p99 = percentile(result.latencies, 0.99);
  process.stderr.write(`  ${label}: ${rate.toFixed(0)}/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${result.errors} errors\n`);
  return { rate, p50, p99 };
}
