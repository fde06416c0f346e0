// Moves committed outbox rows into audit_log, one stream at a time, in batches: under the stream's
// transaction-scoped advisory lock it reads the head, links the batch (chain.ts) and moves it in one
// statement. Several instances of a service may run this at once: the lock makes them take turns
// per stream, and READ COMMITTED makes each statement after the lock see what the last holder wrote.
import { sql, type Kysely } from '#lib/db/index.ts';
import { extendChain } from './chain.ts';

export type ChainerDeps<DB> = { db: Kysely<DB>; batchSize: number };

export function createChainer<DB>(deps: ChainerDeps<DB>) {
  const { db, batchSize } = deps;

  async function chainBatch(stream: string): Promise<number> {
    return db.transaction().setIsolationLevel('read committed').execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || ${stream}::text, 0))`.execute(tx);
      const head = await sql<{ seq: number | string; hash: Buffer }>`
        SELECT seq, hash FROM audit_log WHERE stream = ${stream} ORDER BY seq DESC LIMIT 1`.execute(tx);
      const pending = await sql<{ id: number | string; entry: unknown }>`
        SELECT id, entry FROM audit_outbox WHERE stream = ${stream} ORDER BY id LIMIT ${batchSize}`.execute(tx);
      if (pending.rows.length === 0) return 0;
      const top = head.rows[0];
      const links = extendChain(top && { seq: Number(top.seq), hash: top.hash }, pending.rows.map((row) => row.entry));
      // The stored entry is copied from the outbox row itself, so the jsonb that was hashed is the jsonb kept.
      const moved = await sql<{ seq: number }>`
        WITH batch AS (
          SELECT * FROM unnest(${pending.rows.map((row) => String(row.id))}::bigint[], ${links.map((l) => l.seq)}::bigint[],
                               ${links.map((l) => l.prevHash.toString('hex'))}::text[], ${links.map((l) => l.hash.toString('hex'))}::text[])
            AS b(id, seq, prev_hex, hash_hex)
        ), moved AS (
          DELETE FROM audit_outbox o USING batch b WHERE o.id = b.id AND o.stream = ${stream}
          RETURNING o.id, o.entry, o.created_at
        )
        INSERT INTO audit_log (stream, seq, prev_hash, hash, entry, recorded_at)
        SELECT ${stream}::text, b.seq, decode(b.prev_hex, 'hex'), decode(b.hash_hex, 'hex'), m.entry, m.created_at
        FROM moved m JOIN batch b ON b.id = m.id
        RETURNING seq`.execute(tx);
      if (moved.rows.length !== links.length) throw new Error('audit chainer: outbox rows changed under the stream lock');
      return links.length;
    });
  }

  /** Chains every committed outbox row; returns how many rows were chained. */
  async function chainAll(): Promise<number> {
    const streams = await sql<{ stream: string }>`SELECT DISTINCT stream FROM audit_outbox`.execute(db);
    let total = 0;
    for (const { stream } of streams.rows) {
      for (;;) {
        const chained = await chainBatch(stream);
        total += chained;
        if (chained < batchSize) break;
      }
    }
    return total;
  }

  return { chainAll, chainBatch };
}
