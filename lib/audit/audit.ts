// createAudit: the one object a service holds. record() writes inside the caller's transaction;
// the chainer runs on an unref'd timer (start/stop) or on demand (chainNow, for tests and shutdown).
import type { Kysely } from '#lib/db/index.ts';
import { createBatchRecorder, createOutboxPreparer, createRecorder, createStandaloneWriter } from './append.ts';
import { createChainer } from './chainer.ts';
import type { PublicKeyLookup } from './public-keys.ts';
import type { Checkpoint } from './verify.ts';
import { verifyStreams } from './verify-streams.ts';

export type CreateAuditOptions<DB> = {
  db: Kysely<DB>;
  /** Written into every entry (`kms`, `vault`, `api`, `dashboard`). */
  service: string;
  intervalMs?: number;
  batchSize?: number;
  /** Chainer failures on the timer (e.g. the database restarting). Defaults to a process warning. */
  onError?: (error: Error) => void;
  now?: () => Date;
};

const SERVICE = /^[a-z][a-z0-9_-]{0,31}$/;

export function createAudit<DB>(options: CreateAuditOptions<DB>) {
  if (!SERVICE.test(options.service)) throw new Error('createAudit: service must match ' + String(SERVICE));
  const { db } = options;
  const intervalMs = options.intervalMs ?? 100;
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('createAudit: batchSize must be 1–10000');
  if (!(intervalMs >= 1)) throw new Error('createAudit: intervalMs must be at least 1');
  const record = createRecorder({ service: options.service, now: options.now });
  const recordMany = createBatchRecorder({ service: options.service, now: options.now });
  const prepareOutbox = createOutboxPreparer({ service: options.service, now: options.now });
  const standalone = createStandaloneWriter({ db, service: options.service, now: options.now });
  const chainer = createChainer({ db, batchSize });
  let lastWarning = '';
  const onError = options.onError ?? ((error: Error) => {
    // Once per distinct failure, not every tick while the database is down.
    if (error.message !== lastWarning) process.emitWarning(`audit chainer: ${error.message}`, 'AuditChainerWarning');
    lastWarning = error.message;
  });

  let inflight: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> | undefined;
  let running = false;

  /** Chains every row committed before the call; runs after any run already in progress. */
  async function chainNow(): Promise<number> {
    while (inflight) await inflight.catch(() => 0);
    const run = chainer.chainAll();
    inflight = run;
    try {
      return await run;
    } finally {
      if (inflight === run) inflight = undefined;
    }
  }

  // Runs start intervalMs apart (a slow run is followed at once by the next), never overlapping.
  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      const started = Date.now();
      tick = chainNow().then(() => { lastWarning = ''; }, (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
        .finally(() => { if (running) schedule(Math.max(0, intervalMs - (Date.now() - started))); });
    }, delayMs);
    timer.unref();
  }

  return {
    /** Writes an audit entry inside `tx`, the transaction that makes the change it records. */
    record,
    /** Several entries in one INSERT inside `tx` (changes made together in one transaction). */
    recordMany,
    /** Validated audit_outbox rows, for a change written with its entries in one statement (a CTE). */
    prepareOutbox,
    /** For events with no surrounding change (reads, denials): committed before it resolves, group-committed. */
    recordStandalone: standalone,
    chainNow,
    start(): void {
      if (running) return;
      running = true;
      schedule(intervalMs);
    },
    /** Stops the timer and waits for a run in progress. Call chainNow() after it to drain at shutdown. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await tick;
      await inflight?.catch(() => 0);
    },
    /** With `publicKeys`, also checks the stored signed checkpoints (each must name this service). */
    verify(stream?: string, verifyOptions: { checkpoint?: Checkpoint; publicKeys?: PublicKeyLookup } = {}) {
      const { checkpoint, publicKeys } = verifyOptions;
      return verifyStreams(db, { stream, checkpoint, publicKeys, service: publicKeys && options.service });
    },
  };
}

export type Audit<DB = unknown> = ReturnType<typeof createAudit<DB>>;
