// In-memory unseal: custodians submit shares one by one; at the threshold-th distinct valid share the
// unseal key is reconstructed, the master key decrypted (GCM authenticates the result, which is how a
// wrong combination is caught), and every share and intermediate key is zeroed. Shares live only in
// this closure, never in storage or logs. After a completion or failure it starts over empty, so the
// same object can serve the next unseal.
import { combine } from 'shamir-secret-sharing';
import { SealError } from './seal-error.ts';
import { parseShare, type ParsedShare } from './shares.ts';
import { decryptMasterKey, KEY_BYTES, type SealRecord } from './seal-record.ts';

export type UnsealStatus = { readonly sealed: true; readonly progress: number; readonly threshold: number };
export type UnsealResult = UnsealStatus | { readonly sealed: false; readonly masterKey: Buffer };

export type UnsealProgressDeps = {
  /** Seam for tests that check the parsed share bytes get zeroed; defaults to parseShare. */
  readonly parse?: (shareString: string) => ParsedShare;
};

export function createUnsealProgress(sealRecord: SealRecord, deps: UnsealProgressDeps = {}) {
  const parse = deps.parse ?? parseShare;
  const { installId, threshold, shareCount } = sealRecord;
  // Keyed by the custodian's share index.
  let submitted = new Map<number, Uint8Array>();

  const status = (): UnsealStatus => ({ sealed: true, progress: submitted.size, threshold });

  const reset = (): void => {
    for (const bytes of submitted.values()) bytes.fill(0);
    submitted = new Map();
  };

  /** Parses and checks one share; true when it was counted, false for a repeat of a counted share. */
  const accept = (shareString: string): boolean => {
    const share = parse(shareString);
    try {
      if (share.installId !== installId) {
        throw new SealError('foreign_share', 'share belongs to another KMS installation and was not counted');
      }
      if (share.index > shareCount) {
        throw new SealError('malformed_share', `share index is above this installation's share count (${shareCount})`);
      }
      if (share.bytes.length !== KEY_BYTES + 1) {
        throw new SealError('malformed_share', 'share has the wrong length for this installation');
      }
      const previous = submitted.get(share.index);
      if (previous !== undefined) {
        if (equalBytes(previous, share.bytes)) {
          share.bytes.fill(0); // the same share again: counts once
          return false;
        }
        throw new SealError('conflicting_share', `a different share with index ${share.index} was already submitted`);
      }
      const x = share.bytes[KEY_BYTES];
      for (const other of submitted.values()) {
        if (other[KEY_BYTES] === x) {
          throw new SealError('conflicting_share', 'share collides with an already submitted share and was not counted');
        }
      }
      submitted.set(share.index, share.bytes);
      return true;
    } catch (error) {
      share.bytes.fill(0);
      throw error;
    }
  };

  return {
    status,
    reset,
    /** Adds one custodian's share; returns the progress, or the master key once the threshold is met. */
    async submit(shareString: string): Promise<UnsealResult> {
      if (!accept(shareString) || submitted.size < threshold) return status();
      // Take the shares out synchronously, so a concurrent submit starts a fresh round instead of racing.
      const shares = [...submitted.values()];
      submitted = new Map();
      let unsealKey: Uint8Array | undefined;
      try {
        unsealKey = threshold === 1 ? shares[0]!.slice(0, KEY_BYTES) : await combine(shares);
        return { sealed: false, masterKey: decryptMasterKey(unsealKey, sealRecord) };
      } catch {
        throw new SealError('unseal_failed', 'the submitted shares do not unseal this installation; progress was reset');
      } finally {
        unsealKey?.fill(0);
        for (const bytes of shares) bytes.fill(0);
      }
    },
  };
}

export type UnsealProgress = ReturnType<typeof createUnsealProgress>;

// Only ever compares two shares that are both already in memory; timing reveals nothing to an outsider.
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
