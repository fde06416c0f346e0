// Reads streams from audit_log page by page, in seq order, and feeds the pure verifier; given public
// keys, then reads the stream's checkpoints the same way, each with the hash stored at its seq.
// Each stream is read in one REPEATABLE READ snapshot, so entries chained meanwhile do not
// shift the pages; reading stops at the first break once it is classified.
import { sql, type Kysely, type Transaction } from '#lib/db/index.ts';
import type { PublicKeyLookup } from './public-keys.ts';
import { createCheckpointVerifier, type CheckpointVerification } from './verify-checkpoints.ts';
import { createStreamVerifier, type Checkpoint, type VerifyResult } from './verify.ts';

/** `checkpoints` is present only when public keys were given (otherwise they were not checked). */
export type StreamVerification = { stream: string } & VerifyResult & { checkpoints?: CheckpointVerification };
export type VerifyStreamsOptions = {
  stream?: string;
  /** A point given from outside (trusted as is): the stream must contain it. */
  checkpoint?: Checkpoint;
  /** Check the stored signed checkpoints against these keys. */
  publicKeys?: PublicKeyLookup;
  /** With publicKeys: every checkpoint must name this service. */
  service?: string;
};

const PAGE = 2000;

type CheckpointRow = {
  seq: number | string; service: string; hash: Buffer; signed_at: Date; key_id: string; key_version: number; signature: string;
  entry_hash: Buffer | null;
};

async function verifyStoredCheckpoints<DB>(tx: Transaction<DB>, stream: string, publicKeys: PublicKeyLookup, service?: string): Promise<CheckpointVerification> {
  const verifier = createCheckpointVerifier({ publicKeys, stream, service });
  const head = await sql<{ seq: number | string | null }>`SELECT max(seq) AS seq FROM audit_log WHERE stream = ${stream}`.execute(tx);
  let after = 0;
  let lastId = '0';
  for (;;) {
    // Ordered by (seq, id) so that duplicates (possible only if the owner dropped the unique constraint) are all seen.
    const page = await sql<CheckpointRow & { id: string }>`
      SELECT c.id::text AS id, c.seq, c.service, c.hash, c.signed_at, c.key_id, c.key_version, c.signature,
             (SELECT l.hash FROM audit_log l WHERE l.stream = c.stream AND l.seq = c.seq LIMIT 1) AS entry_hash
      FROM audit_checkpoints c
      WHERE c.stream = ${stream} AND (c.seq, c.id) > (${after}, ${lastId}::bigint)
      ORDER BY c.seq, c.id LIMIT ${PAGE}`.execute(tx);
    for (const row of page.rows) {
      after = Number(row.seq);
      lastId = row.id;
      const stored = {
        service: row.service, stream, seq: after, hash: row.hash, signedAt: row.signed_at,
        keyId: row.key_id, keyVersion: row.key_version, signature: row.signature,
      };
      if (!verifier.push(stored, row.entry_hash ?? undefined)) return verifier.finish(0);
    }
    if (page.rows.length < PAGE) break;
  }
  return verifier.finish(Number(head.rows[0]?.seq ?? 0));
}

export async function verifyStream<DB>(db: Kysely<DB>, stream: string, options: Omit<VerifyStreamsOptions, 'stream'> = {}): Promise<StreamVerification> {
  const verifier = createStreamVerifier({ stream, checkpoint: options.checkpoint });
  const { publicKeys } = options;
  let checkpoints: CheckpointVerification | undefined;
  await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
    let after = 0;
    for (;;) {
      const page = await sql<{ seq: number | string; prev_hash: Buffer; hash: Buffer; entry: unknown; recorded_at: Date }>`
        SELECT seq, prev_hash, hash, entry, recorded_at FROM audit_log
        WHERE stream = ${stream} AND seq > ${after} ORDER BY seq LIMIT ${PAGE}`.execute(tx);
      let more = page.rows.length === PAGE;
      for (const row of page.rows) {
        after = Number(row.seq);
        if (!verifier.push({ seq: after, prevHash: row.prev_hash, hash: row.hash, entry: row.entry, recordedAt: row.recorded_at })) {
          more = false;
          break;
        }
      }
      if (!more) break;
    }
    if (publicKeys) checkpoints = await verifyStoredCheckpoints(tx, stream, publicKeys, options.service);
  });
  const result: StreamVerification = { stream, ...verifier.finish() };
  return checkpoints ? { ...result, checkpoints } : result;
}

/** Verifies one stream, or every stream in the database (in name order). */
export async function verifyStreams<DB>(db: Kysely<DB>, options: VerifyStreamsOptions = {}): Promise<StreamVerification[]> {
  if (options.checkpoint && options.stream === undefined) throw new Error('audit verify: a checkpoint belongs to one stream');
  // With keys, a stream whose every entry was deleted is still found through its checkpoints.
  const withCheckpoints = options.publicKeys ? sql`UNION SELECT DISTINCT stream FROM audit_checkpoints` : sql``;
  const streams = options.stream !== undefined
    ? [options.stream]
    : (await sql<{ stream: string }>`SELECT DISTINCT stream FROM audit_log ${withCheckpoints} ORDER BY stream`.execute(db)).rows.map((r) => r.stream);
  const { checkpoint, publicKeys, service } = options;
  const results: StreamVerification[] = [];
  for (const stream of streams) results.push(await verifyStream(db, stream, { checkpoint, publicKeys, service }));
  return results;
}
