// The dashboard's read path: one tenant's chained entries, newest first, filtered, paged by seq.
// Entries still in the outbox (not yet chained, ~intervalMs) are not listed.
import { sql, type Kysely } from '#lib/db/index.ts';
import { streamFor } from './chain.ts';
import type { AuditEntry } from './record.ts';

export type ListEntriesQuery = {
  /** Merchant account id, or null for platform entries. */
  tenant: string | null;
  actorId?: string;
  action?: string;
  targetId?: string;
  /** Inclusive lower bound on the entry time. */
  from?: Date;
  /** Exclusive upper bound on the entry time. */
  to?: Date;
  /** 1–500. */
  limit: number;
  /** Cursor: only entries with a smaller seq (pass the previous page's `nextBefore`). */
  before?: number;
};

export type ListedEntry = { seq: number; hash: string; entry: AuditEntry; chainedAt: Date };
export type EntryPage = { entries: ListedEntry[]; nextBefore: number | null };

export async function listEntries<DB>(db: Kysely<DB>, query: ListEntriesQuery): Promise<EntryPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 500) throw new Error('listEntries: limit must be 1–500');
  const where: Array<ReturnType<typeof sql>> = [sql`stream = ${streamFor(query.tenant)}`];
  if (query.actorId !== undefined) where.push(sql`(entry -> 'actor') ->> 'id' = ${query.actorId}`);
  if (query.action !== undefined) where.push(sql`entry ->> 'action' = ${query.action}`);
  if (query.targetId !== undefined) where.push(sql`entry -> 'targets' @> ${JSON.stringify([{ id: query.targetId }])}::jsonb`);
  if (query.from !== undefined) where.push(sql`recorded_at >= ${query.from}`);
  if (query.to !== undefined) where.push(sql`recorded_at < ${query.to}`);
  if (query.before !== undefined) where.push(sql`seq < ${query.before}`);
  const result = await sql<{ seq: number | string; hash: Buffer; entry: AuditEntry; chained_at: Date }>`
    SELECT seq, hash, entry, chained_at FROM audit_log
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY seq DESC LIMIT ${query.limit}`.execute(db);
  const entries = result.rows.map((row) => ({
    seq: Number(row.seq), hash: row.hash.toString('hex'), entry: row.entry, chainedAt: row.chained_at,
  }));
  const last = entries.at(-1);
  return { entries, nextBefore: entries.length === query.limit && last ? last.seq : null };
}
