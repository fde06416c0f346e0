// The signed checkpoint, pure: the exact bytes the KMS signs for a stream head, and the check of a
// signature over them. Bytes = a fixed domain-separation line, then the canonical JSON (canonical.ts,
// RFC 8785) of { hash, seq, service, signedAt, stream }. The prefix keeps a checkpoint signature from
// being valid for anything else the key might sign; JSON string escaping keeps fields unambiguous.
import { verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import { HASH_BYTES } from './chain.ts';

export const CHECKPOINT_DOMAIN = 'strongroom-audit-checkpoint:v1\n';
export const SIGNATURE_BYTES = 64; // Ed25519

/** What a checkpoint vouches for. `hash` is the entry hash at `seq`: 32 bytes, or 64 hex digits. */
export type CheckpointClaim = { service: string; stream: string; seq: number; hash: Uint8Array | string; signedAt: Date };
/** What the signer returns and the table keeps next to the claim. */
export type CheckpointSignature = { keyId: string; keyVersion: number; signature: string };

function hashHex(hash: Uint8Array | string): string {
  if (typeof hash === 'string') {
    if (!/^[0-9a-f]{64}$/i.test(hash)) throw new TypeError('audit checkpoint: hash must be 64 hex digits');
    return hash.toLowerCase();
  }
  if (hash.length !== HASH_BYTES) throw new TypeError('audit checkpoint: hash must be 32 bytes');
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

/** The bytes to sign. Throws on a claim that could not have been written by the checkpointer. */
export function checkpointPayload(claim: CheckpointClaim): Uint8Array {
  const { service, stream, seq, signedAt } = claim;
  if (typeof service !== 'string' || service === '') throw new TypeError('audit checkpoint: service is required');
  if (typeof stream !== 'string' || stream === '') throw new TypeError('audit checkpoint: stream is required');
  if (!Number.isSafeInteger(seq) || seq < 1) throw new TypeError('audit checkpoint: seq must be an integer >= 1');
  if (!(signedAt instanceof Date) || Number.isNaN(signedAt.getTime())) throw new TypeError('audit checkpoint: signedAt must be a valid Date');
  const body = canonicalJson({ hash: hashHex(claim.hash), seq, service, signedAt: signedAt.toISOString(), stream });
  return Buffer.from(CHECKPOINT_DOMAIN + body, 'utf8');
}

/** The 64 signature bytes, or undefined unless `text` is canonical base64 of exactly 64 bytes. */
export function decodeSignature(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding must give the same text: no stray bits, no alternative spellings of one signature.
  return bytes.length === SIGNATURE_BYTES && bytes.toString('base64') === text ? bytes : undefined;
}

/** Refuses a signer answer that must not be stored (the table is append-only: a bad row stays forever). */
export function checkSignerAnswer(answer: unknown): CheckpointSignature {
  const a = answer as Partial<CheckpointSignature> | null;
  if (typeof a?.keyId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(a.keyId)) throw new TypeError('audit checkpoint: signer returned a bad keyId');
  if (!Number.isSafeInteger(a.keyVersion) || (a.keyVersion as number) < 1 || (a.keyVersion as number) > 2_147_483_647) {
    throw new TypeError('audit checkpoint: signer returned a bad keyVersion');
  }
  if (!decodeSignature(a.signature)) throw new TypeError('audit checkpoint: signer returned a signature that is not base64 of 64 bytes');
  return { keyId: a.keyId, keyVersion: a.keyVersion as number, signature: a.signature as string };
}

/** True when `signature` (base64) is a valid Ed25519 signature by `publicKey` over the claim's payload. */
export function verifyCheckpointSignature(claim: CheckpointClaim, signature: string, publicKey: KeyObject): boolean {
  if (publicKey.asymmetricKeyType !== 'ed25519') return false;
  const bytes = decodeSignature(signature);
  if (!bytes) return false;
  let payload: Uint8Array;
  try {
    payload = checkpointPayload(claim);
  } catch {
    return false; // a row no checkpointer could have signed
  }
  return verify(null, payload, publicKey, bytes);
}
