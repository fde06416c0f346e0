// AES-256-GCM sealing of one card field (a PAN, or separately a CVV) under a DEK. The additional
// authenticated data binds the ciphertext to its record, merchant, DEK and purpose, so a ciphertext
// copied to another row, another merchant or from the CVV column to the PAN column does not decrypt.
// Pure apart from the random nonce; the caller owns (and zeroises) the key and every Buffer returned.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
/** Domain separation: names the format, so these AAD bytes mean nothing to any other use of the key. */
const AAD_DOMAIN = 'strongroom/vault/card-field/v1';
const MAX_ID_BYTES = 255;
const MAX_KEK_VERSION = 0xffff_ffff;

export const FIELD_PURPOSES = ['pan', 'cvv'] as const;
export type FieldPurpose = (typeof FIELD_PURPOSES)[number];

/** What a sealed field belongs to. `kekVersion`, when bound, must be the one stored with the record. */
export type FieldAad = {
  recordId: string;
  merchantId: string;
  dekId: string;
  kekVersion?: number;
  purpose: FieldPurpose;
};

/** `ciphertext` is the GCM ciphertext followed by the 16-byte tag. */
export type SealedField = { nonce: Buffer; ciphertext: Buffer };

export type CardCipherErrorCode = 'decrypt_failed' | 'invalid_key' | 'invalid_aad' | 'invalid_plaintext';

/** Messages are fixed per code: never plaintext, key material or AAD values. */
const MESSAGES: Readonly<Record<CardCipherErrorCode, string>> = {
  decrypt_failed: 'the card field could not be decrypted',
  invalid_key: 'the data key must be 32 bytes',
  invalid_aad: 'the card field binding (record, merchant, data key, purpose) is invalid',
  invalid_plaintext: 'the card field to encrypt must be bytes or text',
};

export class CardCipherError extends Error {
  readonly code: CardCipherErrorCode;
  constructor(code: CardCipherErrorCode) {
    super(MESSAGES[code]);
    this.name = 'CardCipherError';
    this.code = code;
  }
}

function pushField(parts: Buffer[], value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_ID_BYTES) throw new CardCipherError('invalid_aad');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  parts.push(length, bytes);
}

/**
 * The canonical AAD bytes: a domain string, then purpose, record id, merchant id and DEK id, each as a
 * 2-byte big-endian length and its UTF-8 bytes, then a presence byte and, if present, the KEK version as
 * 4 bytes. Ids must be well-formed Unicode (a lone surrogate would encode like U+FFFD and collide).
 * Distinct bindings give distinct bytes.
 */
export function encodeAad(aad: FieldAad): Buffer {
  if (typeof aad !== 'object' || aad === null) throw new CardCipherError('invalid_aad');
  const { recordId, merchantId, dekId, kekVersion, purpose } = aad;
  if (!FIELD_PURPOSES.includes(purpose)) throw new CardCipherError('invalid_aad');
  const parts: Buffer[] = [];
  pushField(parts, AAD_DOMAIN);
  pushField(parts, purpose);
  for (const id of [recordId, merchantId, dekId]) {
    if (typeof id !== 'string' || !id.isWellFormed()) throw new CardCipherError('invalid_aad');
    pushField(parts, id);
  }
  if (kekVersion === undefined) {
    parts.push(Buffer.from([0]));
  } else {
    if (!Number.isInteger(kekVersion) || kekVersion < 0 || kekVersion > MAX_KEK_VERSION) throw new CardCipherError('invalid_aad');
    const version = Buffer.alloc(5);
    version.writeUInt8(1, 0);
    version.writeUInt32BE(kekVersion, 1);
    parts.push(version);
  }
  return Buffer.concat(parts);
}

function isKey(key: unknown): key is Buffer {
  return Buffer.isBuffer(key) && key.length === KEY_BYTES;
}

/**
 * Encrypts `plaintext` under `key` with a fresh random 96-bit nonce. A string plaintext is copied into a
 * Buffer that is zeroised before returning (the string itself cannot be); pass a Buffer to avoid it.
 */
export function encryptField(key: Buffer, plaintext: Buffer | string, aad: FieldAad): SealedField {
  if (!isKey(key)) throw new CardCipherError('invalid_key');
  if (typeof plaintext !== 'string' && !Buffer.isBuffer(plaintext)) throw new CardCipherError('invalid_plaintext');
  const aadBytes = encodeAad(aad);
  const ownCopy = typeof plaintext === 'string';
  const input = ownCopy ? Buffer.from(plaintext, 'utf8') : plaintext;
  const nonce = randomBytes(NONCE_BYTES);
  let body: Buffer | undefined;
  let last: Buffer | undefined;
  try {
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadBytes);
    body = cipher.update(input);
    last = cipher.final();
    return { nonce, ciphertext: Buffer.concat([body, last, cipher.getAuthTag()]) };
  } finally {
    body?.fill(0);
    last?.fill(0);
    if (ownCopy) input.fill(0);
  }
}

/**
 * Decrypts and authenticates a sealed field for the given binding. Any failure (wrong key, record,
 * merchant, DEK, KEK version or purpose; a changed nonce, ciphertext or tag; malformed input) throws
 * `CardCipherError('decrypt_failed')`, and no plaintext is released. The caller zeroises the result.
 */
export function decryptField(key: Buffer, sealed: SealedField, aad: FieldAad): Buffer {
  let body: Buffer | undefined;
  let last: Buffer | undefined;
  try {
    if (!isKey(key) || typeof sealed !== 'object' || sealed === null) throw new CardCipherError('decrypt_failed');
    const { nonce, ciphertext } = sealed;
    if (!Buffer.isBuffer(nonce) || nonce.length !== NONCE_BYTES) throw new CardCipherError('decrypt_failed');
    if (!Buffer.isBuffer(ciphertext) || ciphertext.length < TAG_BYTES) throw new CardCipherError('decrypt_failed');
    const split = ciphertext.length - TAG_BYTES;
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(encodeAad(aad));
    decipher.setAuthTag(ciphertext.subarray(split));
    // GCM releases unauthenticated bytes from update(); they are only returned once final() verified the tag.
    body = decipher.update(ciphertext.subarray(0, split));
    last = decipher.final();
    return Buffer.concat([body, last]);
  } catch {
    throw new CardCipherError('decrypt_failed');
  } finally {
    body?.fill(0);
    last?.fill(0);
  }
}
