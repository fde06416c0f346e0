// The `pkcs11` KEK backend: every KEK is an AES-256 key generated inside an HSM (any PKCS#11 token) as a
// persistent, private, sensitive, non-extractable object; its handle is the object's label. Wrapping and
// unwrapping run on the token (CKM_AES_GCM through C_Encrypt/C_Decrypt), so KEK material never reaches
// this process.
//
// Pointing it at a production HSM: `modulePath` is the vendor's PKCS#11 library (e.g. Thales Luna
// `/usr/safenet/lunaclient/lib/libCryptoki2_64.so`, AWS CloudHSM `/opt/cloudhsm/lib/libcloudhsm_pkcs11.so`);
// name the token by `tokenLabel` (preferred: slot numbers move when tokens are added) or by `slot`, the
// index among slots with a token present; `pin` is the crypto-user PIN, which the service's config reads
// from a file (mode 0600) or an environment variable; never put it in the config file itself.
// Check with the vendor that (1) CK_GCM_PARAMS is the v2.40 layout (with ulIvBits; for older firmware
// use AesGcmParams instead of AesGcm240Params) and (2) the HSM accepts a caller-supplied GCM IV for
// encryption: some do not in FIPS mode, and then need the IV generated on the token.
//
// PKCS#11 login is per process and per token, not per session: run one backend per token per process. A
// second one on a token already logged in gets CKR_USER_ALREADY_LOGGED_IN without its PIN being checked,
// so it counts itself sealed instead of trusting a PIN nobody verified.
import { randomBytes } from 'node:crypto';
import {
  AesGcm240Params, KeyGenMechanism, KeyType, MechanismEnum, ObjectClass, SessionFlag, UserType,
  type Module, type Session,
} from 'graphene-pk11';
import { BackendError, checkRef, isValidRef, type KekVersionRef, type KeyBackend } from './key-backend.ts';
import {
  acquireModule, findSlot, isSessionLost, isStaleHandle, pkcs11ErrorName, releaseModule, safely,
} from './pkcs11-module.ts';

export type Pkcs11BackendOptions = {
  readonly modulePath: string;
  readonly slot?: number;
  readonly tokenLabel?: string;
  readonly pin: string;
  /** Prefix of the KEK object labels: `${labelPrefix}:${keyId}:v${version}:<random>`. Default `strongroom`. */
  readonly labelPrefix?: string;
};

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_SECRET_BYTES = 1024;
const MIN_WRAPPED = IV_BYTES + 1 + TAG_BYTES;
const MAX_WRAPPED = IV_BYTES + MAX_SECRET_BYTES + TAG_BYTES;

type Handle = Buffer;

export async function createPkcs11Backend(options: Pkcs11BackendOptions): Promise<KeyBackend> {
  const labelPrefix = options.labelPrefix ?? 'strongroom';
  if (labelPrefix.length === 0 || labelPrefix.includes(':')) {
    throw new BackendError('backend_failure', 'labelPrefix must be non-empty and contain no ":"');
  }
  const module: Module = acquireModule(options.modulePath);
  let session: Session | undefined;
  let loggedIn = false;
  let closed = false;
  try {
    const slot = findSlot(module, options);
    session = slot.open(SessionFlag.RW_SESSION | SessionFlag.SERIAL_SESSION);
  } catch (error) {
    safely(() => session?.close());
    releaseModule(options.modulePath);
    if (error instanceof BackendError) throw error;
    throw new BackendError('backend_failure', `cannot open a session on the PKCS#11 token: ${pkcs11ErrorName(error)}`);
  }
  try {
    session.login(options.pin, UserType.USER);
    loggedIn = true;
  } catch {
    // Wrong PIN, locked PIN, or already logged in by someone else in this process: stay sealed.
    safely(() => session?.close());
    session = undefined;
  }

  // label → key object handle, so the hot path does not search the token. Object handles stay valid while
  // the object exists; a handle gone stale (object destroyed elsewhere) is dropped and looked up again.
  // PKCS#11 lets a token reuse a freed handle number; SoftHSM does not. On a token that does, a KEK
  // destroyed by another process could leave this cache pointing at a newer object: unwrap then fails its
  // tag check, and the key registry never wraps under a destroyed version.
  const cache = new Map<string, Handle>();

  const labelOf = (ref: KekVersionRef): string => `${labelPrefix}:${ref.keyId}:v${ref.version}`;
  // Each KEK's label ends in a random suffix: an object orphaned by a transaction that rolled back after
  // createKek can never block the version number from being created again.
  const handleMatches = (handle: string, ref: KekVersionRef): boolean =>
    typeof handle === 'string' && handle.startsWith(`${labelOf(ref)}:`) && /^[0-9a-f]{12}$/.test(handle.slice(labelOf(ref).length + 1));

  const requireSession = (): Session => {
    if (session === undefined) throw new BackendError('sealed', 'the PKCS#11 key backend is sealed (not logged in to the token)');
    return session;
  };

  /** Marks the backend sealed when the token says the session or login is gone. */
  const noteFailure = (error: unknown): void => {
    if (!isSessionLost(error)) return;
    safely(() => session?.close());
    session = undefined;
    loggedIn = false;
    cache.clear();
  };

  const findKeys = (s: Session, label: string): Handle[] => {
    const found = s.find({ class: ObjectClass.SECRET_KEY, token: true, label });
    const handles: Handle[] = [];
    for (let i = 0; i < found.length; i += 1) handles.push(found.items(i).handle);
    return handles;
  };

  /** The KEK object for `label`, from the cache or the token; undefined if the token has none. */
  const lookup = (s: Session, label: string): Handle | undefined => {
    const cached = cache.get(label);
    if (cached !== undefined) return cached;
    const handles = findKeys(s, label);
    if (handles.length === 0) return undefined;
    const [handle] = handles;
    if (handles.length > 1 || handle === undefined) {
      throw new BackendError('backend_failure', `several key objects on the token are labelled ${label}; refusing to guess`);
    }
    // Someone with the PIN could plant an extractable key under our label; only use what we would create.
    const key = s.getObject(handle);
    const attrs = key?.getAttribute({ keyType: null, valueLen: null, sensitive: null, extractable: null });
    if (attrs?.keyType !== KeyType.AES || attrs.valueLen !== KEY_BYTES || attrs.sensitive !== true || attrs.extractable !== false) {
      throw new BackendError('backend_failure', `key object ${label} is not a sensitive, non-extractable AES-256 key`);
    }
    cache.set(label, handle);
    return handle;
  };

  /** Runs `operation` with the KEK; retries once after a lookup if the cached handle went stale. */
  const withKek = <T>(s: Session, label: string, operation: (key: Handle) => T): T => {
    for (let attempt = 0; ; attempt += 1) {
      const key = lookup(s, label);
      if (key === undefined) throw new BackendError('key_missing', `the token holds no key object for ${label}`);
      try {
        return operation(key);
      } catch (error) {
        if (!isStaleHandle(error)) throw error;
        cache.delete(label);
        if (attempt > 0) throw new BackendError('key_missing', `the token holds no key object for ${label}`);
      }
    }
  };

  // The pkcs11js calls below are synchronous on purpose: the backend has one session, and an Init/Encrypt
  // pair must not interleave with another caller's across an await (CKR_OPERATION_ACTIVE). Each call
  // takes tens of microseconds on SoftHSM.
  const gcm = (iv: Buffer, ref: KekVersionRef) => ({
    mechanism: MechanismEnum.AES_GCM,
    parameter: new AesGcm240Params(iv, wrapAad(ref), TAG_BYTES * 8).toCKI(),
  });

  return {
    kind: 'pkcs11',
    isSealed: () => session === undefined,

    async createKek(ref: KekVersionRef): Promise<string> {
      const s = requireSession();
      checkRef(ref);
      const label = `${labelOf(ref)}:${randomBytes(6).toString('hex')}`;
      try {
        if (findKeys(s, label).length > 0) {
          throw new BackendError('backend_failure', `a key object labelled ${label} already exists on the token`);
        }
        const key = s.generateKey(KeyGenMechanism.AES, {
          class: ObjectClass.SECRET_KEY,
          keyType: KeyType.AES,
          valueLen: KEY_BYTES,
          label,
          token: true,
          private: true,
          sensitive: true,
          extractable: false,
          // Nobody may later relax what the key is for (turn on wrap or derive, relabel it).
          modifiable: false,
          encrypt: true,
          decrypt: true,
          wrap: false,
          unwrap: false,
          sign: false,
          verify: false,
          derive: false,
        });
        cache.set(label, key.handle);
        return label;
      } catch (error) {
        throw toBackendError(error, 'creating the key object failed');
      }
    },

    async wrap(ref: KekVersionRef, handle: string, secret: Uint8Array): Promise<Buffer> {
      const s = requireSession();
      checkRef(ref);
      if (!(secret instanceof Uint8Array) || secret.length < 1 || secret.length > MAX_SECRET_BYTES) {
        throw new BackendError('backend_failure', `the secret to wrap must be 1–${MAX_SECRET_BYTES} bytes`);
      }
      if (!handleMatches(handle, ref)) throw new BackendError('key_missing', 'the KEK handle does not belong to that key version');
      const label = handle;
      const iv = randomBytes(IV_BYTES);
      try {
        const body = withKek(s, label, (key) => {
          s.lib.C_EncryptInit(s.handle, gcm(iv, ref), key);
          return s.lib.C_Encrypt(s.handle, asBuffer(secret), Buffer.alloc(secret.length + TAG_BYTES));
        });
        return Buffer.concat([iv, body]);
      } catch (error) {
        throw toBackendError(error, 'wrapping on the token failed');
      }
    },

    async unwrap(ref: KekVersionRef, handle: string, wrapped: Uint8Array): Promise<Buffer> {
      const s = requireSession();
      const failed = () => new BackendError('unwrap_failed', 'the wrapped secret could not be unwrapped with that key version');
      if (!isValidRef(ref) || !(wrapped instanceof Uint8Array) || !handleMatches(handle, ref)) throw failed();
      if (wrapped.length < MIN_WRAPPED || wrapped.length > MAX_WRAPPED) throw failed();
      const blob = asBuffer(wrapped);
      const iv = blob.subarray(0, IV_BYTES);
      const body = blob.subarray(IV_BYTES);
      try {
        return withKek(s, handle, (key) => {
          s.lib.C_DecryptInit(s.handle, gcm(iv, ref), key);
          // SoftHSM wants room for the whole input (tag included) even though it returns only the plaintext.
          return s.lib.C_Decrypt(s.handle, body, Buffer.alloc(body.length));
        });
      } catch (error) {
        if (error instanceof BackendError) throw error;
        noteFailure(error);
        if (session === undefined) throw new BackendError('sealed', 'the PKCS#11 session was lost');
        // A bad tag shows up as CKR_ENCRYPTED_DATA_INVALID, or CKR_GENERAL_ERROR on SoftHSM: all one answer.
        throw failed();
      }
    },

    async destroyKek(ref: KekVersionRef, handle: string): Promise<void> {
      const s = requireSession();
      checkRef(ref);
      if (!handleMatches(handle, ref)) throw new BackendError('backend_failure', 'the KEK handle does not belong to that key version');
      const label = handle;
      cache.delete(label);
      try {
        // Every object under the label goes, duplicates included: crypto-shredding must not leave one behind.
        for (const key of findKeys(s, label)) s.lib.C_DestroyObject(s.handle, key);
      } catch (error) {
        throw toBackendError(error, 'destroying the key object failed');
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      cache.clear();
      const open = session;
      session = undefined;
      // Logging out ends the login for every session of this process on the token: only undo our own.
      if (open !== undefined && loggedIn) safely(() => open.logout());
      loggedIn = false;
      if (open !== undefined) safely(() => open.close());
      releaseModule(options.modulePath);
    },
  };

  function toBackendError(error: unknown, what: string): BackendError {
    if (error instanceof BackendError) return error;
    noteFailure(error);
    if (session === undefined) return new BackendError('sealed', `${what}: the PKCS#11 session was lost`);
    return new BackendError('backend_failure', `${what}: ${pkcs11ErrorName(error)}`);
  }
}


// The version is a canonical decimal and comes last, so the string is unambiguous even if keyId has ':'.
function wrapAad(ref: KekVersionRef): Buffer {
  return Buffer.from(`kms-wrap:v1:${ref.keyId}:${ref.version}`, 'utf8');
}

/** A Buffer view of the caller's bytes: no copy of a secret left behind for the GC. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
