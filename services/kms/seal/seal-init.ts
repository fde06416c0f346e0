// Initialisation of the local backend's seal: a fresh master key K, encrypted under a fresh unseal key U,
// and U split into Shamir shares (one per custodian). Only the seal record is persisted; the shares go
// to the custodians and nowhere else; U and K are zeroed before this returns.
import { randomBytes } from 'node:crypto';
import { split } from 'shamir-secret-sharing';
import { SealError } from './seal-error.ts';
import { encodeShare } from './shares.ts';
import { encryptMasterKey, KEY_BYTES, MAX_SHARES, NONCE_BYTES, type SealRecord } from './seal-record.ts';

export type SealInitOptions = {
  readonly shares: number;
  readonly threshold: number;
  /** Development only: permits shares = threshold = 1, i.e. no split knowledge at all. */
  readonly allowSingleShare?: boolean;
};

export type SealInitResult = { readonly sealRecord: SealRecord; readonly shares: string[] };

export async function initializeSeal(options: SealInitOptions): Promise<SealInitResult> {
  validate(options);
  const { shares: shareCount, threshold } = options;
  const installId = randomBytes(8).toString('hex');
  const unsealKey = randomBytes(KEY_BYTES);
  const masterKey = randomBytes(KEY_BYTES);
  let raw: Uint8Array[] = [];
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const ciphertext = encryptMasterKey(unsealKey, masterKey, nonce, installId);
    // split() insists on a plain Uint8Array (not a Buffer): pass a view, so no unzeroed copy is made.
    const view = new Uint8Array(unsealKey.buffer, unsealKey.byteOffset, unsealKey.length);
    raw = shareCount === 1 ? [singleShare(view)] : await split(view, shareCount, threshold);
    const shares = raw.map((bytes, i) => encodeShare({ installId, index: i + 1, bytes }));
    const sealRecord: SealRecord = { installId, threshold, shareCount, nonce, ciphertext, createdAt: new Date() };
    return { sealRecord, shares };
  } finally {
    unsealKey.fill(0);
    masterKey.fill(0);
    for (const bytes of raw) bytes.fill(0);
  }
}

function validate(options: SealInitOptions): void {
  const { shares, threshold } = options;
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) {
    throw new SealError('invalid_parameters', 'shares and threshold must be integers');
  }
  if (shares === 1 && threshold === 1) {
    if (options.allowSingleShare === true) return;
    throw new SealError('invalid_parameters', 'a single share gives no split knowledge; pass allowSingleShare for development only');
  }
  if (threshold < 2 || threshold > shares || shares > MAX_SHARES) {
    throw new SealError('invalid_parameters', `need 2 ≤ threshold ≤ shares ≤ ${MAX_SHARES}`);
  }
}

// A degree-0 polynomial: every point carries the secret itself. Same layout as split() (y-values, then
// x = 1) so unsealing needs no special share format.
function singleShare(unsealKey: Uint8Array): Uint8Array {
  const share = new Uint8Array(KEY_BYTES + 1);
  share.set(unsealKey, 0);
  share[KEY_BYTES] = 1;
  return share;
}
