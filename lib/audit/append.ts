// record(tx, entry): writes the entry into audit_outbox inside the caller's transaction, so the
// entry commits or rolls back with the change it records. No lock is taken here: chaining happens
// later, per stream, in the chainer, so concurrent requests never queue behind the chain head.
import { sql, type Transaction } from '#lib/db/index.ts';
import { streamFor } from './chain.ts';
import { auditError } from './errors.ts';
import { prepareEntry, type AuditRecord } from './record.ts';

export type RecorderDeps = { service: string; now?: () => Date };

export function createRecorder(deps: RecorderDeps) {
  const now = deps.now ?? (() => new Date());
  return async function record<DB>(tx: Transaction<DB>, input: AuditRecord): Promise<void> {
    if (!tx.isTransaction) {
      // Outside a transaction the entry could outlive (or miss) the change it records.
      throw auditError('audit_invalid', '', 'audit entry invalid: record() needs the transaction that makes the change');
    }
    const entry = prepareEntry(input, deps.service, now());
    await sql`INSERT INTO audit_outbox (stream, entry, created_at)
      VALUES (${streamFor(entry.tenant)}, ${JSON.stringify(entry)}::jsonb, ${entry.time}::timestamptz)`.execute(tx);
  };
}
