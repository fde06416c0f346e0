// Checks a stream's stored checkpoints, pure: each one's signature over its canonical payload, and that
// the (seq, hash) it vouches for is the entry stored at that seq. Checkpoints are pushed in seq order
// with the hash of the audit_log row at their seq, and not kept, so any number verify in bounded memory.
// Together with the chain walk (verify.ts), a valid checkpoint at seq n authenticates entries 1..n.
import { verifyCheckpointSignature } from './checkpoint.ts';
import type { PublicKeyLookup } from './public-keys.ts';

/** A row of audit_checkpoints. */
export type StoredCheckpoint = {
  service: string;
  stream: string;
  seq: number;
  hash: Uint8Array;
  signedAt: Date;
  keyId: string;
  keyVersion: number;
  signature: string;
};
export type CheckpointBreakReason = 'unknown_key' | 'bad_signature' | 'wrong_service' | 'missing' | 'mismatch';
export type CheckpointVerification =
  /** `unsignedTail`: entries after the last checkpoint (information, not a failure). */
  | { ok: true; count: number; lastSeq: number | null; unsignedTail: number }
  | { ok: false; firstBrokenCheckpoint: number; reason: CheckpointBreakReason };
export type CheckpointVerifierOptions = {
  publicKeys: PublicKeyLookup;
  stream: string;
  /** When given, every checkpoint must name this service. */
  service?: string;
};

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Why one checkpoint fails, or undefined when it holds. `entryHash`: the hash stored at its seq, if any. */
export function checkpointFailure(
  checkpoint: StoredCheckpoint, entryHash: Uint8Array | undefined, options: CheckpointVerifierOptions,
): CheckpointBreakReason | undefined {
  const key = options.publicKeys(checkpoint.keyId, checkpoint.keyVersion);
  if (!key) return 'unknown_key';
  // The stream is the one being verified, not the row's column: a row moved to another stream fails here.
  const claim = { ...checkpoint, stream: options.stream };
  if (!verifyCheckpointSignature(claim, checkpoint.signature, key)) return 'bad_signature';
  if (options.service !== undefined && checkpoint.service !== options.service) return 'wrong_service';
  if (!entryHash) return 'missing';
  if (!same(checkpoint.hash, entryHash)) return 'mismatch';
  return undefined;
}

export function createCheckpointVerifier(options: CheckpointVerifierOptions) {
  let count = 0;
  let lastSeq: number | null = null;
  let broken: Extract<CheckpointVerification, { ok: false }> | undefined;

  /** Feeds the next checkpoint (in seq order). Returns false once one is broken. */
  function push(checkpoint: StoredCheckpoint, entryHash: Uint8Array | undefined): boolean {
    if (broken) return false;
    const reason = checkpointFailure(checkpoint, entryHash, options);
    if (reason) {
      broken = { ok: false, firstBrokenCheckpoint: checkpoint.seq, reason };
      return false;
    }
    count += 1;
    lastSeq = checkpoint.seq;
    return true;
  }

  /** `headSeq`: the stream's highest stored seq (0 when empty). */
  function finish(headSeq: number): CheckpointVerification {
    return broken ?? { ok: true, count, lastSeq, unsignedTail: Math.max(0, headSeq - (lastSeq ?? 0)) };
  }

  return { push, finish };
}

/** Verifies checkpoints held in memory; `entryHashes`: seq → hash stored at that seq. */
export function verifyCheckpoints(
  checkpoints: readonly StoredCheckpoint[], entryHashes: ReadonlyMap<number, Uint8Array>, headSeq: number, options: CheckpointVerifierOptions,
): CheckpointVerification {
  const verifier = createCheckpointVerifier(options);
  for (const checkpoint of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
    if (!verifier.push(checkpoint, entryHashes.get(checkpoint.seq))) break;
  }
  return verifier.finish(headSeq);
}
