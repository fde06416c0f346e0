// Reads streams from audit_log page by page, in seq order, and feeds the pure verifier.
// Each stream is read in one REPEATABLE READ snapshot, so entries chained meanwhile do not
// shift the pages; reading stops at the first break once it is classified.
import { sql, type Kysely } from '#lib/db/index.ts';
import { createStreamVerifier, type Checkpoint, type VerifyResult } from './verify.ts';

export type StreamVerification = { stream: string } & VerifyResult;
export type VerifyStreamsOptions = { stream?: string; checkpoint?: Checkpoint };

const PAGE = 2000;

export async function verifyStream<DB>(db: Kysely<DB>, stream: string, checkpoint?: Checkpoint): Promise<StreamVerification> {
  const verifier = createStreamVerifier({ stream, checkpoint });
  await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
    let after = 0;
    for (;;) {
      const page = await sql<{ seq: number | string; prev_hash: Buffer; hash: Buffer; entry: unknown; recorded_at: Date }>`
        SELECT seq, prev_hash, hash, entry, recorded_at FROM audit_log
        WHERE stream = ${stream} AND seq > ${after} ORDER BY seq LIMIT ${PAGE}`.execute(tx);
      for (const row of page.rows) {
        after = Number(row.seq);
        if (!verifier.push({ seq: after, prevHash: row.prev_hash, hash: row.hash, entry: row.entry, recordedAt: row.recorded_at })) return;
      }
      if (page.rows.length < PAGE) return;
    }
  });
  return { stream, ...verifier.finish() };
}

/** Verifies one stream, or every stream in the database (in name order). */
export async function verifyStreams<DB>(db: Kysely<DB>, options: VerifyStreamsOptions = {}): Promise<StreamVerification[]> {
  if (options.checkpoint && options.stream === undefined) throw new Error('audit verify: a checkpoint belongs to one stream');
  const streams = options.stream !== undefined
    ? [options.stream]
    : (await sql<{ stream: string }>`SELECT DISTINCT stream FROM audit_log ORDER BY stream`.execute(db)).rows.map((r) => r.stream);
  const results: StreamVerification[] = [];
  for (const stream of streams) results.push(await verifyStream(db, stream, options.checkpoint));
  return results;
}
