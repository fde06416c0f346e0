// record(tx, entry): writes the entry into audit_outbox inside the caller's transaction, so the
// entry commits or rolls back with the change it records. No lock is taken here: chaining happens
// later, per stream, in the chainer, so concurrent requests never queue behind the chain head.
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import { streamFor } from './chain.ts';
import { auditError } from './errors.ts';
import { prepareEntry, type AuditEntry, type AuditRecord } from './record.ts';

export type RecorderDeps = { service: string; now?: () => Date };

export function createRecorder(deps: RecorderDeps) {
  const now = deps.now ?? (() => new Date());
  return async function record<DB>(tx: Transaction<DB>, input: AuditRecord): Promise<void> {
    if (!tx.isTransaction) {
      // Outside a transaction the entry could outlive (or miss) the change it records.
      throw auditError('audit_invalid', '', 'audit entry invalid: record() needs the transaction that makes the change');
    }
    await insertEntries(tx, [prepareEntry(input, deps.service, now())]);
  };
}

/** Many entries in one INSERT inside the caller's transaction (a batch of changes made together). */
export function createBatchRecorder(deps: RecorderDeps) {
  const now = deps.now ?? (() => new Date());
  return async function recordMany<DB>(tx: Transaction<DB>, inputs: readonly AuditRecord[]): Promise<void> {
    if (!tx.isTransaction) throw auditError('audit_invalid', '', 'audit entry invalid: recordMany() needs the transaction that makes the change');
    if (inputs.length === 0) return;
    const at = now();
    const entries = inputs.map((input) => prepareEntry(input, deps.service, at));
    for (let i = 0; i < entries.length; i += MAX_BATCH) await insertEntries(tx, entries.slice(i, i + MAX_BATCH));
  };
}

/** An outbox row ready to insert: `INSERT INTO audit_outbox (stream, entry, created_at)`. */
export type OutboxRow = { stream: string; entry: string; created_at: string };

/**
 * Validated outbox rows for a caller that writes its change and its audit entries in ONE statement
 * (a data-modifying CTE), which is as atomic as a transaction and saves its round trips.
 */
export function createOutboxPreparer(deps: RecorderDeps) {
  const now = deps.now ?? (() => new Date());
  return function prepareOutbox(inputs: readonly AuditRecord[]): OutboxRow[] {
    const at = now();
    return inputs.map((input) => {
      const entry = prepareEntry(input, deps.service, at);
      return { stream: streamFor(entry.tenant), entry: JSON.stringify(entry), created_at: entry.time };
    });
  };
}

async function insertEntries<DB>(tx: Transaction<DB>, entries: readonly AuditEntry[]): Promise<void> {
  const rows = entries.map((entry) => sql`(${streamFor(entry.tenant)}, ${JSON.stringify(entry)}::jsonb, ${entry.time}::timestamptz)`);
  await sql`INSERT INTO audit_outbox (stream, entry, created_at) VALUES ${sql.join(rows)}`.execute(tx);
}

const MAX_BATCH = 500;

/**
 * Entries with no surrounding change (reads, refusals), written in their own transaction. Concurrent
 * calls share one: while a commit is in flight the next entries queue and go together in the next one
 * (group commit), so a busy service pays one fsync per batch instead of one per entry. Each promise
 * resolves only once its entry is committed; an invalid entry is refused before it joins a batch.
 */
export function createStandaloneWriter<DB>(deps: RecorderDeps & { db: Kysely<DB> }) {
  const now = deps.now ?? (() => new Date());
  type Pending = { entry: AuditEntry; resolve: () => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(MAX_BATCH);
        try {
          await deps.db.transaction().execute((tx) => insertEntries(tx, batch.map((p) => p.entry)));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return function recordStandalone(input: AuditRecord): Promise<void> {
    let entry: AuditEntry;
    try {
      entry = prepareEntry(input, deps.service, now());
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      queue.push({ entry, resolve, reject });
      if (!flushing) void flush();
    });
  };
}
