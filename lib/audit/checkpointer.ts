// Signs stream heads: for every stream whose newest chained entry is newer than its newest checkpoint,
// the head (seq, hash) is signed by `signer` (the KMS audit key) and stored in audit_checkpoints.
// Several instances may run at once: per stream, a transaction-scoped advisory try-lock lets one of
// them do the work while the others skip it, and UNIQUE (stream, seq) with ON CONFLICT DO NOTHING
// makes a duplicate impossible anyway. A failed run (signer or database down) is logged and retried
// on the next tick; nothing is written for a stream unless its signature came back well-formed.
import { sql, type Kysely } from '#lib/db/index.ts';
import { checkpointPayload, checkSignerAnswer, type CheckpointSignature } from './checkpoint.ts';

export type CheckpointSigner = (payload: Uint8Array) => Promise<CheckpointSignature>;
/** The part of a pino logger the checkpointer uses. */
export type CheckpointerLogger = { warn(obj: object, msg: string): void };
export type CreateCheckpointerOptions<DB> = {
  db: Kysely<DB>;
  /** Signed into every checkpoint (`kms`, `vault`, `api`, `dashboard`). */
  service: string;
  signer: CheckpointSigner;
  intervalMs: number;
  /** Failures on the timer. Defaults to a process warning, once per distinct message. */
  logger?: CheckpointerLogger;
  /** A signer that has not answered by then fails the run (the stream's transaction is open meanwhile). */
  signTimeoutMs?: number;
  now?: () => Date;
};

const SERVICE = /^[a-z][a-z0-9_-]{0,31}$/;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`audit checkpointer: signer gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createCheckpointer<DB>(options: CreateCheckpointerOptions<DB>) {
  const { db, service, signer, intervalMs } = options;
  if (!SERVICE.test(service)) throw new Error('createCheckpointer: service must match ' + String(SERVICE));
  if (!(intervalMs >= 1)) throw new Error('createCheckpointer: intervalMs must be at least 1');
  const signTimeoutMs = options.signTimeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  let lastWarning = '';
  const warn = (error: Error) => {
    if (options.logger) return options.logger.warn({ err: { message: error.message } }, 'audit checkpointer: run failed, retrying next tick');
    // Once per distinct failure, not every tick while the signer is down.
    if (error.message !== lastWarning) process.emitWarning(`audit checkpointer: ${error.message}`, 'AuditCheckpointerWarning');
    lastWarning = error.message;
  };

  /** Streams whose head is past their newest checkpoint: one index probe per stream (skip scan over the primary key). */
  async function pendingStreams(): Promise<string[]> {
    const result = await sql<{ stream: string }>`
      WITH RECURSIVE streams AS (
        (SELECT stream FROM audit_log ORDER BY stream LIMIT 1)
        UNION ALL
        SELECT (SELECT l.stream FROM audit_log l WHERE l.stream > s.stream ORDER BY l.stream LIMIT 1)
        FROM streams s WHERE s.stream IS NOT NULL
      )
      SELECT s.stream FROM streams s
      CROSS JOIN LATERAL (SELECT max(seq) AS seq FROM audit_log WHERE stream = s.stream) h
      CROSS JOIN LATERAL (SELECT max(seq) AS seq FROM audit_checkpoints WHERE stream = s.stream) c
      WHERE s.stream IS NOT NULL AND (c.seq IS NULL OR h.seq > c.seq)
      ORDER BY s.stream`.execute(db);
    return result.rows.map((row) => row.stream);
  }

  /** Signs and stores one stream's head; false when there was nothing to do or another instance is on it. */
  async function checkpointStream(stream: string): Promise<boolean> {
    return db.transaction().setIsolationLevel('read committed').execute(async (tx) => {
      const lock = await sql<{ locked: boolean }>`
        SELECT pg_try_advisory_xact_lock(hashtextextended('audit-checkpoint:' || ${stream}::text, 0)) AS locked`.execute(tx);
      if (!lock.rows[0]?.locked) return false;
      const head = await sql<{ seq: number | string; hash: Buffer; checkpointed: number | string | null }>`
        SELECT seq, hash, (SELECT max(seq) FROM audit_checkpoints WHERE stream = ${stream}) AS checkpointed
        FROM audit_log WHERE stream = ${stream} ORDER BY seq DESC LIMIT 1`.execute(tx);
      const top = head.rows[0];
      if (!top || (top.checkpointed !== null && Number(top.checkpointed) >= Number(top.seq))) return false;
      // A Date has millisecond precision, which timestamptz keeps exactly: the column gives back the signed value.
      const signedAt = now();
      const seq = Number(top.seq);
      const payload = checkpointPayload({ service, stream, seq, hash: top.hash, signedAt });
      const signed = checkSignerAnswer(await withTimeout(signer(payload), signTimeoutMs));
      const inserted = await sql`
        INSERT INTO audit_checkpoints (service, stream, seq, hash, signed_at, key_id, key_version, signature)
        VALUES (${service}, ${stream}, ${seq}, ${top.hash}, ${signedAt}, ${signed.keyId}, ${signed.keyVersion}, ${signed.signature})
        ON CONFLICT (stream, seq) DO NOTHING RETURNING id`.execute(tx);
      return inserted.rows.length === 1;
    });
  }

  let inflight: Promise<number> | undefined;

  /** Checkpoints every stream head not yet signed; returns how many checkpoints it wrote. Throws on the first failure. */
  async function runOnce(): Promise<number> {
    let written = 0;
    for (const stream of await pendingStreams()) {
      if (await checkpointStream(stream)) written += 1;
    }
    return written;
  }

  let timer: NodeJS.Timeout | undefined;
  let running = false;

  // Runs start intervalMs apart, never overlapping; a failure is logged and the next tick retries.
  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      const started = Date.now();
      inflight = runOnce();
      inflight
        .then(() => { lastWarning = ''; }, (error: unknown) => {
          try {
            warn(error instanceof Error ? error : new Error(String(error)));
          } catch {
            // A failing logger must not stop the timer either.
          }
        })
        .finally(() => {
          inflight = undefined;
          if (running) schedule(Math.max(0, intervalMs - (Date.now() - started)));
        });
    }, delayMs);
    timer.unref();
  }

  return {
    runOnce,
    start(): void {
      if (running) return;
      running = true;
      schedule(intervalMs);
    },
    /** Stops the timer and waits for a run in progress. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await inflight?.catch(() => 0);
    },
  };
}

export type Checkpointer<DB = unknown> = ReturnType<typeof createCheckpointer<DB>>;
