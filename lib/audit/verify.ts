// Walks one stream from seq 1 and names the first broken sequence. Pure: it sees rows, not a database.
// Rows are pushed in seq order and not kept, so a stream of any length verifies in bounded memory;
// when a link breaks, up to `window` rows on either side are used to tell what kind of break it is.
import { entryHash, GENESIS_HASH, HASH_BYTES, streamFor } from './chain.ts';

export type VerifyRow = {
  seq: number;
  prevHash: Uint8Array;
  hash: Uint8Array;
  entry: unknown;
  /** The indexed time column, when the rows come from audit_log: it must equal the hashed entry time. */
  recordedAt?: Date;
};
/** A point the stream must contain (e.g. from a signed checkpoint); `hash` is hex. */
export type Checkpoint = { seq: number; hash: string };
export type BreakReason = 'modified' | 'missing' | 'reordered' | 'inserted' | 'bad_prev_hash';
export type VerifyResult =
  | { ok: true; count: number; head: Checkpoint | null }
  | { ok: false; firstBrokenSeq: number; reason: BreakReason };
export type VerifyOptions = {
  /** When given, every entry's tenant must belong to this stream. */
  stream?: string;
  checkpoint?: Checkpoint;
  /** Rows remembered on either side of a broken link to classify it. */
  window?: number;
};

type PendingBreak = { seq: number; prevHex: string; hashHex: string; expectedPrev: string; ahead: Array<{ prevHex: string; hashHex: string }> };

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function checkCheckpoint(checkpoint: Checkpoint | undefined): void {
  if (!checkpoint) return;
  if (!Number.isSafeInteger(checkpoint.seq) || checkpoint.seq < 1 || !/^[0-9a-f]{64}$/i.test(checkpoint.hash)) {
    throw new Error('audit verify: a checkpoint is { seq >= 1, hash: 64 hex digits }');
  }
}

export function createStreamVerifier(options: VerifyOptions = {}) {
  checkCheckpoint(options.checkpoint);
  const window = options.window ?? 1024;
  let expectedSeq = 1;
  let expectedPrev = hex(GENESIS_HASH);
  let head: Checkpoint | null = null;
  let checkpointHash: string | undefined;
  let result: Extract<VerifyResult, { ok: false }> | undefined;
  let pending: PendingBreak | undefined;
  // hash hex → seq of the last `window` accepted rows (a Map keeps insertion order, so eviction is O(1)).
  const recent = new Map<string, number>();

  function fail(firstBrokenSeq: number, reason: BreakReason): false {
    result = { ok: false, firstBrokenSeq, reason };
    return false;
  }

  function selfConsistent(row: VerifyRow): boolean {
    if (row.prevHash.length !== HASH_BYTES || row.hash.length !== HASH_BYTES) return false;
    const entry = row.entry as { tenant?: unknown; time?: unknown } | null;
    if (options.stream !== undefined) {
      const tenant = entry?.tenant;
      if ((typeof tenant !== 'string' && tenant !== null) || streamFor(tenant) !== options.stream) return false;
    }
    // The columns outside the hash must not be able to hide an entry from the time-filtered views.
    if (row.recordedAt && row.recordedAt.toISOString() !== entry?.time) return false;
    try {
      return entryHash(row.prevHash, row.entry).equals(row.hash);
    } catch {
      return false; // not encodable, so not what was hashed
    }
  }

  function classify(p: PendingBreak): false {
    // The row repeats one already seen: a replayed copy.
    if (recent.has(p.hashHex)) return fail(p.seq, 'inserted');
    // It links to an earlier row: the rows accepted since that one do not belong.
    const linkedSeq = recent.get(p.prevHex);
    if (linkedSeq !== undefined) return fail(linkedSeq + 1, 'inserted');
    // It links to a row that comes later: rows were moved.
    if (p.ahead.some((row) => row.hashHex === p.prevHex)) return fail(p.seq, 'reordered');
    // A later row continues the chain from before this one: this one was slipped in.
    if (p.ahead.some((row) => row.prevHex === p.expectedPrev)) return fail(p.seq, 'inserted');
    return fail(p.seq, 'bad_prev_hash');
  }

  /** Feeds the next row (in seq order). Returns false once the outcome is known and more rows are useless. */
  function push(row: VerifyRow): boolean {
    if (result) return false;
    const prevHex = hex(row.prevHash);
    const hashHex = hex(row.hash);
    if (pending) {
      pending.ahead.push({ prevHex, hashHex });
      return pending.ahead.length < window || classify(pending);
    }
    if (row.seq < expectedSeq) return fail(row.seq, 'inserted'); // a second row with the same seq
    if (row.seq > expectedSeq) return fail(expectedSeq, 'missing');
    if (!selfConsistent(row)) return fail(row.seq, 'modified');
    if (prevHex !== expectedPrev) {
      pending = { seq: row.seq, prevHex, hashHex, expectedPrev, ahead: [] };
      return true;
    }
    recent.set(hashHex, row.seq);
    if (recent.size > window) recent.delete(recent.keys().next().value as string);
    if (row.seq === options.checkpoint?.seq) checkpointHash = hashHex;
    head = { seq: row.seq, hash: hashHex };
    expectedPrev = hashHex;
    expectedSeq += 1;
    return true;
  }

  function finish(): VerifyResult {
    if (pending && !result) classify(pending);
    if (result) return result;
    const count = expectedSeq - 1;
    const checkpoint = options.checkpoint;
    if (checkpoint) {
      // Truncation of the newest entries is only visible against a point recorded elsewhere.
      if (checkpoint.seq > count) return { ok: false, firstBrokenSeq: count + 1, reason: 'missing' };
      if (checkpointHash !== checkpoint.hash.toLowerCase()) return { ok: false, firstBrokenSeq: checkpoint.seq, reason: 'modified' };
    }
    return { ok: true, count, head };
  }

  return { push, finish };
}

export type StreamVerifier = ReturnType<typeof createStreamVerifier>;

/** Verifies a whole stream held in memory (rows in any order). */
export function verifyRows(rows: readonly VerifyRow[], options: VerifyOptions = {}): VerifyResult {
  const verifier = createStreamVerifier(options);
  for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
    if (!verifier.push(row)) break;
  }
  return verifier.finish();
}
