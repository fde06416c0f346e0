// The contract every key-encryption-key backend meets. A backend holds KEKs (AES-256, versioned) and
// never lets their plaintext out: callers hand it a secret (a data key, an HMAC or signing key) and
// get back wrapped bytes, or the reverse. Which key and version is always named, so a wrapped blob
// can be unwrapped after any number of rotations.

/** One version of one key-encryption key. */
export type KekVersionRef = { readonly keyId: string; readonly version: number };

export type BackendKind = 'local' | 'pkcs11';

export type KeyBackend = {
  readonly kind: BackendKind;
  /** True while key operations cannot run (local: not unsealed yet; pkcs11: not logged in to the token). */
  isSealed(): boolean;
  /**
   * Creates a new AES-256 KEK version inside the backend and returns the handle to store with it.
   * The handle is never key material in clear (local: the KEK sealed under the master key; pkcs11: the
   * label of a non-extractable, sensitive key object on the token).
   */
  createKek(ref: KekVersionRef): Promise<string>;
  /** Encrypts `secret` (≤ 1 KiB) under the KEK version, authenticated and bound to `ref`. */
  wrap(ref: KekVersionRef, handle: string, secret: Uint8Array): Promise<Buffer>;
  /** The reverse of wrap; throws BackendError('unwrap_failed') for anything tampered or foreign. */
  unwrap(ref: KekVersionRef, handle: string, wrapped: Uint8Array): Promise<Buffer>;
  /** Destroys the KEK version's material where the backend holds it (crypto-shredding). Idempotent. */
  destroyKek(ref: KekVersionRef, handle: string): Promise<void>;
  close(): Promise<void>;
};

export type BackendErrorCode = 'sealed' | 'unwrap_failed' | 'key_missing' | 'backend_failure';

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  constructor(code: BackendErrorCode, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

const MAX_KEY_ID_LENGTH = 200;

export function isValidRef(ref: KekVersionRef): boolean {
  return typeof ref === 'object' && ref !== null
    && typeof ref.keyId === 'string' && ref.keyId.length > 0 && ref.keyId.length <= MAX_KEY_ID_LENGTH
    && Number.isSafeInteger(ref.version) && ref.version >= 1;
}

export function checkRef(ref: KekVersionRef): void {
  if (!isValidRef(ref)) throw new BackendError('backend_failure', 'invalid key reference (keyId 1–200 chars, version a positive integer)');
}
