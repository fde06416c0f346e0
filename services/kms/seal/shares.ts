// Text encoding of one unseal-key share, for a custodian to copy, store offline and type back in:
//
//   srkms1-<installId>-<index>-<share bytes, Crockford base32>-<checksum>
//
// installId: 16 hex digits naming the installation, so a share is never offered to the wrong KMS.
// index:     the custodian's share number, 1–255 in plain decimal.
// bytes:     the raw Shamir share (y-values, then the x-coordinate byte), Crockford base32, which has no
//            I, L, O or U, so nothing on paper reads two ways.
// checksum:  first 4 bytes of SHA-256 over everything before it, as 8 hex digits, so a typo is caught
//            here instead of silently producing a wrong key out of combine().
// Parsing is case-insensitive and ignores surrounding whitespace; everything else must be canonical.
// Errors never quote the input: it is key material.
import { createHash } from 'node:crypto';
import { SealError } from './seal-error.ts';

export const SHARE_FORMAT_TAG = 'srkms1';
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const MIN_SHARE_BYTES = 2;
const MAX_SHARE_BYTES = 1024;

export type ParsedShare = {
  readonly installId: string;
  readonly index: number;
  /** The Shamir share exactly as `split()` produced it. The caller owns it and should zero it after use. */
  readonly bytes: Uint8Array;
};

const INSTALL_ID = /^[0-9a-f]{16}$/;
const INDEX = /^[1-9][0-9]{0,2}$/;
const BODY = /^[0-9a-hjkmnp-tv-z]+$/;
const CHECKSUM = /^[0-9a-f]{8}$/;

export function isInstallId(value: string): boolean {
  return INSTALL_ID.test(value);
}

export function encodeShare(share: ParsedShare): string {
  if (!isInstallId(share.installId)) throw new SealError('invalid_parameters', 'installId must be 16 lowercase hex digits');
  if (!Number.isInteger(share.index) || share.index < 1 || share.index > 255) {
    throw new SealError('invalid_parameters', 'share index must be an integer from 1 to 255');
  }
  if (share.bytes.length < MIN_SHARE_BYTES || share.bytes.length > MAX_SHARE_BYTES) {
    throw new SealError('invalid_parameters', `share must be ${MIN_SHARE_BYTES}–${MAX_SHARE_BYTES} bytes`);
  }
  const head = `${SHARE_FORMAT_TAG}-${share.installId}-${share.index}-${toBase32(share.bytes)}`;
  return `${head}-${checksum(head)}`;
}

export function parseShare(text: string): ParsedShare {
  const normalized = text.trim().toLowerCase();
  const parts = normalized.split('-');
  if (parts.length !== 5) throw malformed('expected five dash-separated parts');
  const [tag, installId, index, body, sum] = parts as [string, string, string, string, string];
  if (tag !== SHARE_FORMAT_TAG) throw malformed(`unknown format tag (expected ${SHARE_FORMAT_TAG})`);
  if (!isInstallId(installId)) throw malformed('installation id must be 16 hex digits');
  if (!INDEX.test(index) || Number(index) > 255) throw malformed('share index must be a number from 1 to 255');
  if (!BODY.test(body)) throw malformed('share body contains a character outside the share alphabet');
  if (!CHECKSUM.test(sum)) throw malformed('checksum must be 8 hex digits');
  const head = normalized.slice(0, normalized.length - sum.length - 1);
  // Not a secret comparison: the checksum only catches typos and is computable by anyone.
  if (checksum(head) !== sum) {
    throw new SealError('checksum_mismatch', 'share checksum does not match: the share was mistyped or damaged');
  }
  const bytes = fromBase32(body);
  if (bytes === undefined) throw malformed('share body is not canonical base32');
  if (bytes.length < MIN_SHARE_BYTES || bytes.length > MAX_SHARE_BYTES) {
    bytes.fill(0);
    throw malformed('share body has the wrong length');
  }
  return { installId, index: Number(index), bytes };
}

function malformed(reason: string): SealError {
  return new SealError('malformed_share', `malformed share: ${reason}`);
}

function checksum(head: string): string {
  return createHash('sha256').update(head, 'ascii').digest().subarray(0, 4).toString('hex');
}

function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes canonical Crockford base32 (no padding, unused trailing bits zero); undefined otherwise. */
function fromBase32(text: string): Uint8Array | undefined {
  const length = Math.floor((text.length * 5) / 8);
  // A length that no byte count encodes to (e.g. 1, 3, 6 characters) is not canonical.
  if (Math.ceil((length * 8) / 5) !== text.length) return undefined;
  const out = new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) return wipe(out);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return wipe(out);
  return out;
}

function wipe(bytes: Uint8Array): undefined {
  bytes.fill(0);
  return undefined;
}
