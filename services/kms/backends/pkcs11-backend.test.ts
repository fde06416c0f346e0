// The pkcs11 backend against a real SoftHSM2 token (softhsm.testing.ts). CI installs softhsm2; without it
// the setup throws, so this file fails rather than skipping.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  KeyGenMechanism, KeyType, MechanismEnum, Module, ObjectClass, SessionFlag,
  type SecretKey, type Session,
} from 'graphene-pk11';
import { BackendError, type BackendErrorCode, type KekVersionRef, type KeyBackend } from './key-backend.ts';
import { createPkcs11Backend } from './pkcs11-backend.ts';
import { useSoftHsm, type SoftHsmSetup } from './softhsm.testing.ts';

const MAIN = 'kms-main';
const OTHER = 'kms-other';
const CKA_VALUE = 0x11;

let hsm: SoftHsmSetup;
let backend: KeyBackend;
let inspector: Session;
let otherSlotIndex = -1;

async function rejectsWith(promise: Promise<unknown>, code: BackendErrorCode): Promise<BackendError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return error instanceof BackendError && error.code === code;
  });
  return caught as BackendError;
}

async function newKek(keyId: string, version = 1): Promise<{ ref: KekVersionRef; handle: string }> {
  const ref = { keyId, version };
  return { ref, handle: await backend.createKek(ref) };
}

/** The KEK object as seen through a separate session of our own (graphene straight, not the backend). */
function findKek(label: string): SecretKey {
  const found = inspector.find({ class: ObjectClass.SECRET_KEY, label });
  assert.equal(found.length, 1, `exactly one object labelled ${label}`);
  return found.items(0).toType<SecretKey>();
}

before(async () => {
  hsm = await useSoftHsm({ tokenLabels: [MAIN, OTHER] });
  backend = await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: MAIN, pin: hsm.pin });
  // A second handle on the same (already initialised) module: C_Initialize is a no-op here, and the login
  // is shared by every session of the process, so this session sees the private objects too.
  const module = Module.load(hsm.modulePath, 'inspector');
  module.initialize();
  const slots = module.getSlots(true);
  for (let i = 0; i < slots.length; i += 1) {
    const label = slots.items(i).getToken().label;
    if (label === MAIN) inspector = slots.items(i).open(SessionFlag.RW_SESSION | SessionFlag.SERIAL_SESSION);
    if (label === OTHER) otherSlotIndex = i;
  }
});

after(async () => {
  try {
    inspector?.close();
    await backend?.close();
  } finally {
    await hsm?.cleanup();
  }
});

describe('setup', () => {
  it('the SoftHSM helper returns one setup per process', async () => {
    assert.equal(await useSoftHsm(), hsm);
    assert.ok(process.env.SOFTHSM2_CONF?.endsWith('softhsm2.conf'));
  });

  it('logs in: not sealed, kind pkcs11', () => {
    assert.equal(backend.isSealed(), false);
    assert.equal(backend.kind, 'pkcs11');
  });

  it('refuses a token label that does not exist', async () => {
    await rejectsWith(createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: 'no-such-token', pin: hsm.pin }), 'backend_failure');
  });
});

describe('wrap and unwrap', () => {
  it('round-trips random 32-byte secrets, with a fresh IV each time', async () => {
    const { ref, handle } = await newKek('round-trip');
    assert.match(handle, /^strongroom:round-trip:v1:[0-9a-f]{12}$/);
    for (let i = 0; i < 20; i += 1) {
      const secret = randomBytes(32);
      const wrapped = await backend.wrap(ref, handle, secret);
      assert.equal(wrapped.length, 12 + 32 + 16);
      assert.equal(wrapped.includes(secret), false);
      assert.deepEqual(await backend.unwrap(ref, handle, wrapped), secret);
      const again = await backend.wrap(ref, handle, secret);
      assert.notDeepEqual(again.subarray(0, 12), wrapped.subarray(0, 12));
    }
  });

  it('round-trips any secret of 1–1024 bytes (property)', async () => {
    const { ref, handle } = await newKek('property');
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1024 }), async (secret) => {
      const wrapped = await backend.wrap(ref, handle, secret);
      assert.equal(wrapped.length, 12 + secret.length + 16);
      assert.deepEqual(new Uint8Array(await backend.unwrap(ref, handle, wrapped)), secret);
    }), { numRuns: 60 });
  });

  it('refuses empty and oversized secrets, and invalid refs', async () => {
    const { ref, handle } = await newKek('sizes');
    await rejectsWith(backend.wrap(ref, handle, new Uint8Array(0)), 'backend_failure');
    await rejectsWith(backend.wrap(ref, handle, new Uint8Array(1025)), 'backend_failure');
    await rejectsWith(backend.wrap({ keyId: '', version: 1 }, handle, randomBytes(32)), 'backend_failure');
    await rejectsWith(backend.createKek({ keyId: 'sizes', version: 0 }), 'backend_failure');
  });

  it('a version created again (after a rolled-back transaction) gets its own object; blobs do not cross', async () => {
    const first = await newKek('duplicate');
    const second = await backend.createKek(first.ref);
    assert.notEqual(second, first.handle);
    assert.equal(inspector.find({ class: ObjectClass.SECRET_KEY, label: first.handle }).length, 1);
    assert.equal(inspector.find({ class: ObjectClass.SECRET_KEY, label: second }).length, 1);
    const wrapped = await backend.wrap(first.ref, first.handle, randomBytes(32));
    await rejectsWith(backend.unwrap(first.ref, second, wrapped), 'unwrap_failed');
    await rejectsWith(backend.unwrap(first.ref, 'strongroom:duplicate:v1', wrapped), 'unwrap_failed');
  });
});

describe('the KEK stays on the token', () => {
  it('is generated sensitive, never extractable, private, persistent, AES-256', async () => {
    const { handle } = await newKek('attributes');
    const attrs = findKek(handle).getAttribute({
      token: null, private: null, sensitive: null, alwaysSensitive: null, extractable: null, neverExtractable: null,
      keyType: null, valueLen: null, encrypt: null, decrypt: null, wrap: null, derive: null, modifiable: null,
    });
    assert.deepEqual(attrs, {
      token: true, private: true, sensitive: true, alwaysSensitive: true, extractable: false, neverExtractable: true,
      keyType: KeyType.AES, valueLen: 32, encrypt: true, decrypt: true, wrap: false, derive: false, modifiable: false,
    });
  });

  it('refuses to reveal CKA_VALUE, through graphene and through pkcs11js', async () => {
    const { handle } = await newKek('no-read');
    const kek = findKek(handle);
    assert.throws(() => kek.getAttribute('value'), /CKR_ATTRIBUTE_SENSITIVE/);
    assert.throws(() => inspector.lib.C_GetAttributeValue(inspector.handle, kek.handle, [{ type: CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
  });

  it('refuses to be wrapped out by another key', async () => {
    const { handle } = await newKek('no-wrap');
    const wrappingKey = inspector.generateKey(KeyGenMechanism.AES, {
      class: ObjectClass.SECRET_KEY, keyType: KeyType.AES, valueLen: 32, token: false, wrap: true, unwrap: true, label: 'test-wrapping-key',
    });
    try {
      for (const mechanism of [MechanismEnum.AES_KEY_WRAP_PAD, MechanismEnum.AES_KEY_WRAP]) {
        assert.throws(() => inspector.wrapKey(mechanism, wrappingKey, findKek(handle)), /CKR_KEY_UNEXTRACTABLE/);
      }
    } finally {
      inspector.destroy(wrappingKey);
    }
  });
});

describe('tampered and foreign blobs', () => {
  it('a flipped bit anywhere in the blob fails with unwrap_failed, and the message holds no secret', async () => {
    const { ref, handle } = await newKek('bit-flip');
    const secret = randomBytes(32);
    const wrapped = await backend.wrap(ref, handle, secret);
    for (let bit = 0; bit < wrapped.length * 8; bit += 1) {
      const tampered = Buffer.from(wrapped);
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      const error = await rejectsWith(backend.unwrap(ref, handle, tampered), 'unwrap_failed');
      assert.equal(error.message.includes(secret.toString('hex')), false);
      assert.equal(/CKR_|\n/.test(error.message), false, 'a fixed message, no token error or stack');
    }
    await rejectsWith(backend.unwrap(ref, handle, wrapped.subarray(0, wrapped.length - 1)), 'unwrap_failed');
    await rejectsWith(backend.unwrap(ref, handle, Buffer.concat([wrapped, Buffer.of(0)])), 'unwrap_failed');
    await rejectsWith(backend.unwrap(ref, handle, wrapped.subarray(0, 28)), 'unwrap_failed');
    assert.deepEqual(await backend.unwrap(ref, handle, wrapped), secret, 'the session is still usable after failures');
  });

  it('a blob unwrapped under another key id or version fails', async () => {
    const a = await newKek('foreign-a');
    const b = await newKek('foreign-b');
    const a2 = await newKek('foreign-a', 2);
    const wrapped = await backend.wrap(a.ref, a.handle, randomBytes(32));
    await rejectsWith(backend.unwrap(b.ref, b.handle, wrapped), 'unwrap_failed');
    await rejectsWith(backend.unwrap(a2.ref, a2.handle, wrapped), 'unwrap_failed');
    // Right key object, wrong ref in the AAD (and the reverse): the handle must match the ref.
    await rejectsWith(backend.unwrap(b.ref, a.handle, wrapped), 'unwrap_failed');
    await rejectsWith(backend.unwrap(a.ref, b.handle, wrapped), 'unwrap_failed');
  });
});

describe('versions and destruction', () => {
  it('two versions of one key id are independent, and destroyKek shreds only its own', async () => {
    const v1 = await newKek('rotating', 1);
    const v2 = await newKek('rotating', 2);
    const s1 = randomBytes(32);
    const s2 = randomBytes(32);
    const w1 = await backend.wrap(v1.ref, v1.handle, s1);
    const w2 = await backend.wrap(v2.ref, v2.handle, s2);
    await rejectsWith(backend.unwrap(v2.ref, v2.handle, w1), 'unwrap_failed');
    assert.deepEqual(await backend.unwrap(v1.ref, v1.handle, w1), s1); // warm the cache

    await backend.destroyKek(v1.ref, v1.handle);
    assert.equal(inspector.find({ class: ObjectClass.SECRET_KEY, label: v1.handle }).length, 0);
    await rejectsWith(backend.unwrap(v1.ref, v1.handle, w1), 'key_missing');
    await rejectsWith(backend.wrap(v1.ref, v1.handle, s1), 'key_missing');
    await backend.destroyKek(v1.ref, v1.handle); // idempotent
    assert.deepEqual(await backend.unwrap(v2.ref, v2.handle, w2), s2);

    // A new key for the same version does not bring the old blobs back.
    const again = await backend.createKek(v1.ref);
    assert.notEqual(again, v1.handle);
    await rejectsWith(backend.unwrap(v1.ref, again, w1), 'unwrap_failed');
  });

  it('notices a KEK destroyed behind its back (stale cached handle)', async () => {
    const { ref, handle } = await newKek('external-destroy');
    const wrapped = await backend.wrap(ref, handle, randomBytes(32));
    await backend.unwrap(ref, handle, wrapped); // cached now
    inspector.destroy(findKek(handle));
    await rejectsWith(backend.unwrap(ref, handle, wrapped), 'key_missing');
    await rejectsWith(backend.wrap(ref, handle, randomBytes(32)), 'key_missing');
  });

  it('will not use an object under its label that is extractable', async () => {
    const label = 'strongroom:planted:v1:0123456789ab';
    inspector.generateKey(KeyGenMechanism.AES, {
      class: ObjectClass.SECRET_KEY, keyType: KeyType.AES, valueLen: 32, token: true, private: true,
      sensitive: false, extractable: true, encrypt: true, decrypt: true, label,
    });
    await rejectsWith(backend.wrap({ keyId: 'planted', version: 1 }, label, randomBytes(32)), 'backend_failure');
    await backend.destroyKek({ keyId: 'planted', version: 1 }, label);
  });

  it('honours labelPrefix', async () => {
    const other = await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: OTHER, pin: hsm.pin, labelPrefix: 'acme' });
    try {
      const ref = { keyId: 'prefixed', version: 3 };
      const handle = await other.createKek(ref);
      assert.match(handle, /^acme:prefixed:v3:[0-9a-f]{12}$/);
      const secret = randomBytes(16);
      assert.deepEqual(await other.unwrap(ref, handle, await other.wrap(ref, handle, secret)), secret);
    } finally {
      await other.close();
    }
  });
});

describe('sealed and closed', () => {
  it('a wrong PIN leaves the backend sealed: every operation throws sealed', async () => {
    const sealed = await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: OTHER, pin: 'wrong-pin-0000' });
    assert.equal(sealed.isSealed(), true);
    const ref = { keyId: 'sealed', version: 1 };
    await rejectsWith(sealed.createKek(ref), 'sealed');
    await rejectsWith(sealed.wrap(ref, 'strongroom:sealed:v1', randomBytes(32)), 'sealed');
    await rejectsWith(sealed.unwrap(ref, 'strongroom:sealed:v1', randomBytes(60)), 'sealed');
    await rejectsWith(sealed.destroyKek(ref, 'strongroom:sealed:v1'), 'sealed');
    await sealed.close();
  });

  it('a second backend on a token already logged in stays sealed: its PIN was never checked', async () => {
    const second = await createPkcs11Backend({ modulePath: hsm.modulePath, tokenLabel: MAIN, pin: 'not-the-pin' });
    assert.equal(second.isSealed(), true);
    await second.close();
    assert.equal(backend.isSealed(), false, 'closing the sealed one did not log the first out');
  });

  it('close() twice is safe, seals the backend, and leaves other backends working', async () => {
    // By slot index this time (the index among slots with a token).
    const other = await createPkcs11Backend({ modulePath: hsm.modulePath, slot: otherSlotIndex, pin: hsm.pin });
    assert.equal(other.isSealed(), false);
    await other.close();
    await other.close();
    assert.equal(other.isSealed(), true);
    await rejectsWith(other.createKek({ keyId: 'after-close', version: 1 }), 'sealed');
    // The module is still initialised for the main backend (reference-counted C_Finalize).
    const { ref, handle } = await newKek('still-alive');
    const secret = randomBytes(32);
    assert.deepEqual(await backend.unwrap(ref, handle, await backend.wrap(ref, handle, secret)), secret);
  });
});

describe('throughput', () => {
  it('unwraps at a useful rate', async (t) => {
    const { ref, handle } = await newKek('throughput');
    const wrapped = await backend.wrap(ref, handle, randomBytes(32));
    const count = 2000;
    const started = performance.now();
    for (let i = 0; i < count; i += 1) await backend.unwrap(ref, handle, wrapped);
    const perSecond = Math.round(count / ((performance.now() - started) / 1000));
    t.diagnostic(`${perSecond} unwraps/s (SoftHSM2, 32-byte secrets, one session)`);
    assert.ok(perSecond > 200, `only ${perSecond} unwraps/s`);
  });
});
