// The embedded `local` KEK backend. Each KEK is a random AES-256 key, stored by the caller only as its
// handle: the KEK encrypted under the master key (AES-256-GCM, bound to keyId and version). The master
// key arrives from an unseal (seal/unseal-progress.ts) and lives only in this closure; while it is absent
// every key operation fails with BackendError('sealed'). Decrypted KEKs are cached per version while
// unsealed; seal() zeroes the master key and every cached KEK.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BackendError, checkRef, isValidRef, type KekVersionRef, type KeyBackend } from './key-backend.ts';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_SECRET_BYTES = 1024;
const HANDLE_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
const HANDLE = /^[A-Za-z0-9_-]+$/;

type CachedKek = { readonly handle: string; readonly kek: Buffer };

export type LocalBackend = KeyBackend & { unseal(masterKey: Buffer): void; seal(): void };

export function createLocalBackend(): LocalBackend {
  let masterKey: Buffer | undefined;
  const cache = new Map<string, CachedKek>();

  const seal = (): void => {
    for (const { kek } of cache.values()) kek.fill(0);
    cache.clear();
    masterKey?.fill(0);
    masterKey = undefined;
  };

  const requireMasterKey = (): Buffer => {
    if (masterKey === undefined) throw new BackendError('sealed', 'the local key backend is sealed');
    return masterKey;
  };

  /** The KEK for `ref` from its handle; undefined if the handle does not open under this master key. */
  const openKek = (key: Buffer, ref: KekVersionRef, handle: string): Buffer | undefined => {
    const cacheKey = versionKey(ref);
    const cached = cache.get(cacheKey);
    // The handle must match too: a warm cache must not make a tampered or foreign handle work.
    if (cached !== undefined && cached.handle === handle) return cached.kek;
    const sealed = decodeHandle(handle);
    if (sealed === undefined) return undefined;
    const kek = openGcm(key, sealed, kekAad(ref));
    if (kek === undefined || kek.length !== KEY_BYTES) {
      kek?.fill(0);
      return undefined;
    }
    cached?.kek.fill(0);
    cache.set(cacheKey, { handle, kek });
    return kek;
  };

  return {
    kind: 'local',
    isSealed: () => masterKey === undefined,
    seal,

    /** Takes a copy of `masterKey`; the caller should zero its own buffer afterwards. */
    unseal(key: Buffer): void {
      if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
        throw new BackendError('backend_failure', `the master key must be ${KEY_BYTES} bytes`);
      }
      seal(); // a re-unseal starts from nothing, so no KEK cached under an earlier key survives
      const copy = Buffer.alloc(KEY_BYTES);
      key.copy(copy);
      masterKey = copy;
    },

    async createKek(ref: KekVersionRef): Promise<string> {
      const key = requireMasterKey();
      checkRef(ref);
      const kek = randomBytes(KEY_BYTES);
      const handle = sealGcm(key, kek, kekAad(ref)).toString('base64url');
      const cacheKey = versionKey(ref);
      cache.get(cacheKey)?.kek.fill(0);
      cache.set(cacheKey, { handle, kek });
      return handle;
    },

    async wrap(ref: KekVersionRef, handle: string, secret: Uint8Array): Promise<Buffer> {
      const key = requireMasterKey();
      checkRef(ref);
      if (!(secret instanceof Uint8Array) || secret.length < 1 || secret.length > MAX_SECRET_BYTES) {
        throw new BackendError('backend_failure', `the secret to wrap must be 1–${MAX_SECRET_BYTES} bytes`);
      }
      const kek = openKek(key, ref, handle);
      if (kek === undefined) throw new BackendError('key_missing', 'the KEK handle does not open under this backend for that key version');
      return sealGcm(kek, secret, wrapAad(ref));
    },

    async unwrap(ref: KekVersionRef, handle: string, wrapped: Uint8Array): Promise<Buffer> {
      const key = requireMasterKey();
      const failed = () => new BackendError('unwrap_failed', 'the wrapped secret could not be unwrapped with that key version');
      if (!isValidRef(ref) || !(wrapped instanceof Uint8Array)) throw failed();
      if (wrapped.length < NONCE_BYTES + 1 + TAG_BYTES || wrapped.length > NONCE_BYTES + MAX_SECRET_BYTES + TAG_BYTES) throw failed();
      const kek = openKek(key, ref, handle);
      if (kek === undefined) throw failed();
      const opened = openGcm(kek, wrapped, wrapAad(ref));
      if (opened === undefined) throw failed();
      return opened;
    },

    async destroyKek(ref: KekVersionRef): Promise<void> {
      requireMasterKey();
      checkRef(ref);
      const cacheKey = versionKey(ref);
      cache.get(cacheKey)?.kek.fill(0);
      cache.delete(cacheKey);
    },

    async close(): Promise<void> {
      seal();
    },
  };
}


// NUL cannot occur in the decimal version, so distinct refs never share a cache key.
function versionKey(ref: KekVersionRef): string {
  return `${ref.version}\u0000${ref.keyId}`;
}

// The version is a canonical decimal and comes last, so these strings are unambiguous even if a keyId
// contains ':'.
function kekAad(ref: KekVersionRef): Buffer {
  return Buffer.from(`kms-kek:v1:${ref.keyId}:${ref.version}`, 'utf8');
}

function wrapAad(ref: KekVersionRef): Buffer {
  return Buffer.from(`kms-wrap:v1:${ref.keyId}:${ref.version}`, 'utf8');
}

function decodeHandle(handle: string): Buffer | undefined {
  if (typeof handle !== 'string' || !HANDLE.test(handle)) return undefined;
  const bytes = Buffer.from(handle, 'base64url');
  // Canonical only: one handle string per KEK, so string equality in the cache means the same KEK.
  if (bytes.length !== HANDLE_BYTES || bytes.toString('base64url') !== handle) return undefined;
  return bytes;
}

/** AES-256-GCM with a random nonce; returns nonce ‖ ciphertext ‖ tag. */
function sealGcm(key: Buffer, plaintext: Uint8Array, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The reverse of sealGcm; undefined on any failure (wrong key, wrong AAD, tampering). */
function openGcm(key: Buffer, sealed: Uint8Array, aad: Buffer): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  let head: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    head = decipher.update(body);
    const tail = decipher.final();
    const plaintext = Buffer.alloc(head.length + tail.length);
    plaintext.set(head, 0);
    plaintext.set(tail, head.length);
    tail.fill(0);
    return plaintext;
  } catch {
    return undefined;
  } finally {
    // Unauthenticated plaintext must not linger when the tag check fails.
    head?.fill(0);
  }
}
