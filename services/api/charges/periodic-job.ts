// Runs a job every `intervalMs` (and once at start), never two runs of it at once in this process.
// Runs in several api instances are made safe by the jobs themselves (row locks, SKIP LOCKED); a
// failed run is logged and the next interval tries again.
import type { Logger } from 'pino';

export function createPeriodicJob(options: { name: string; intervalMs: number; run: () => Promise<unknown>; logger: Logger }) {
  const { name, intervalMs, run, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  function tick(): void {
    if (running) return;
    running = run().then(() => undefined, (error: unknown) => logger.warn({ err: error, job: name }, 'job run failed; the next run retries'))
      .finally(() => { running = undefined; });
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      while (running) await running;
    },
  };
}

export type PeriodicJob = ReturnType<typeof createPeriodicJob>;
