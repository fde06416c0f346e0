import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createLocalBackend } from './local-backend.ts';
import { BackendError, type BackendErrorCode, type KekVersionRef } from './key-backend.ts';

const ref: KekVersionRef = { keyId: 'pan-dek-kek', version: 1 };

function failsWith(code: BackendErrorCode) {
  return (error: unknown) => error instanceof BackendError && error.code === code;
}

function unsealed(masterKey = randomBytes(32)) {
  const backend = createLocalBackend();
  backend.unseal(masterKey);
  return backend;
}

test('while sealed every key operation throws sealed', async () => {
  const backend = createLocalBackend();
  assert.equal(backend.kind, 'local');
  assert.equal(backend.isSealed(), true);
  await assert.rejects(backend.createKek(ref), failsWith('sealed'));
  await assert.rejects(backend.wrap(ref, 'x', new Uint8Array(8)), failsWith('sealed'));
  await assert.rejects(backend.unwrap(ref, 'x', new Uint8Array(40)), failsWith('sealed'));
  await assert.rejects(backend.destroyKek(ref, 'x'), failsWith('sealed'));
});

test('wrap then unwrap returns the secret; the handle and blob have the documented shape', async () => {
  const backend = unsealed();
  assert.equal(backend.isSealed(), false);
  const handle = await backend.createKek(ref);
  assert.match(handle, /^[A-Za-z0-9_-]{80}$/);
  const secret = randomBytes(32);
  const wrapped = await backend.wrap(ref, handle, secret);
  assert.equal(wrapped.length, 12 + 32 + 16);
  assert.equal(wrapped.indexOf(secret.subarray(0, 8)), -1);
  assert.deepEqual(await backend.unwrap(ref, handle, wrapped), secret);
  const again = await backend.wrap(ref, handle, secret);
  assert.notDeepEqual(again, wrapped, 'a fresh nonce every time');
});

test('property: any secret of 1–1024 bytes round-trips, also through a cold cache', async () => {
  const masterKey = randomBytes(32);
  const backend = unsealed(masterKey);
  const handle = await backend.createKek(ref);
  const cold = unsealed(masterKey);
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1024 }), async (secret) => {
    const wrapped = await backend.wrap(ref, handle, secret);
    assert.deepEqual(new Uint8Array(await backend.unwrap(ref, handle, wrapped)), secret);
    assert.deepEqual(new Uint8Array(await cold.unwrap(ref, handle, wrapped)), secret);
  }), { numRuns: 200 });
});

test('wrap refuses an empty or oversized secret', async () => {
  const backend = unsealed();
  const handle = await backend.createKek(ref);
  await assert.rejects(backend.wrap(ref, handle, new Uint8Array(0)), BackendError);
  await assert.rejects(backend.wrap(ref, handle, new Uint8Array(1025)), BackendError);
});

test('flipping any single bit of a wrapped blob makes unwrap fail', async () => {
  const backend = unsealed();
  const handle = await backend.createKek(ref);
  const secret = Buffer.from('a 32-byte data encryption key...');
  const wrapped = await backend.wrap(ref, handle, secret);
  for (let bit = 0; bit < wrapped.length * 8; bit++) {
    const tampered = Buffer.from(wrapped);
    tampered[bit >> 3]! ^= 1 << (bit & 7);
    await assert.rejects(backend.unwrap(ref, handle, tampered), (error: unknown) => failsWith('unwrap_failed')(error)
      && !(error as Error).message.includes(secret.toString()));
  }
  await assert.rejects(backend.unwrap(ref, handle, wrapped.subarray(0, 20)), failsWith('unwrap_failed'));
  assert.deepEqual(await backend.unwrap(ref, handle, wrapped), secret);
});

test('a blob wrapped under one key version does not unwrap under another ref', async () => {
  const backend = unsealed();
  const handle = await backend.createKek(ref);
  const wrapped = await backend.wrap(ref, handle, randomBytes(32));
  for (const other of [{ keyId: ref.keyId, version: 2 }, { keyId: 'other-kek', version: 1 }]) {
    await assert.rejects(backend.unwrap(other, handle, wrapped), failsWith('unwrap_failed'));
    // The KEK itself is bound to its ref, so the handle cannot be borrowed either.
    await assert.rejects(backend.wrap(other, handle, randomBytes(32)), failsWith('key_missing'));
  }
  // Two versions of the same key are different KEKs.
  const v2 = { keyId: ref.keyId, version: 2 };
  const handle2 = await backend.createKek(v2);
  await assert.rejects(backend.unwrap(v2, handle2, wrapped), failsWith('unwrap_failed'));
});

test('a tampered handle fails, even while the genuine KEK is cached', async () => {
  const backend = unsealed();
  const handle = await backend.createKek(ref);
  const wrapped = await backend.wrap(ref, handle, randomBytes(32));
  const bytes = Buffer.from(handle, 'base64url');
  for (const at of [0, 11, 12, 30, 43, 44, 59]) {
    const tampered = Buffer.from(bytes);
    tampered[at]! ^= 0x01;
    const tamperedHandle = tampered.toString('base64url');
    await assert.rejects(backend.unwrap(ref, tamperedHandle, wrapped), failsWith('unwrap_failed'));
    await assert.rejects(backend.wrap(ref, tamperedHandle, randomBytes(16)), failsWith('key_missing'));
  }
  for (const junk of ['', 'not a handle', handle.slice(1), `${handle}A`]) {
    await assert.rejects(backend.unwrap(ref, junk, wrapped), failsWith('unwrap_failed'));
  }
  assert.ok((await backend.unwrap(ref, handle, wrapped)).length === 32);
});

test('seal() makes operations throw sealed again; unsealing with the same master key restores access', async () => {
  const masterKey = randomBytes(32);
  const backend = unsealed(masterKey);
  const handle = await backend.createKek(ref);
  const secret = randomBytes(48);
  const wrapped = await backend.wrap(ref, handle, secret);
  backend.seal();
  assert.equal(backend.isSealed(), true);
  await assert.rejects(backend.createKek(ref), failsWith('sealed'));
  await assert.rejects(backend.wrap(ref, handle, secret), failsWith('sealed'));
  await assert.rejects(backend.unwrap(ref, handle, wrapped), failsWith('sealed'));
  await assert.rejects(backend.destroyKek(ref, handle), failsWith('sealed'));
  backend.unseal(masterKey);
  assert.deepEqual(await backend.unwrap(ref, handle, wrapped), secret);
});

test('unseal takes a copy: zeroing the caller\'s master key buffer does not break the backend', async () => {
  const masterKey = randomBytes(32);
  const keep = Buffer.from(masterKey);
  const backend = unsealed(masterKey);
  const handle = await backend.createKek(ref);
  masterKey.fill(0);
  const wrapped = await backend.wrap(ref, handle, Buffer.from('secret'));
  const other = unsealed(keep);
  assert.equal((await other.unwrap(ref, handle, wrapped)).toString(), 'secret');
  assert.throws(() => backend.unseal(Buffer.alloc(16)), failsWith('backend_failure'));
});

test('a KEK handle made under one master key is useless under another', async () => {
  const first = unsealed();
  const handle = await first.createKek(ref);
  const wrapped = await first.wrap(ref, handle, randomBytes(32));
  const second = unsealed();
  await assert.rejects(second.wrap(ref, handle, randomBytes(32)), failsWith('key_missing'));
  await assert.rejects(second.unwrap(ref, handle, wrapped), failsWith('unwrap_failed'));
  // Re-unsealing the same backend object under another key also drops the KEKs cached under the first.
  first.unseal(randomBytes(32));
  await assert.rejects(first.unwrap(ref, handle, wrapped), failsWith('unwrap_failed'));
});

test('destroyKek is idempotent and leaves the stored handle as the only way back to the KEK', async () => {
  const masterKey = randomBytes(32);
  const backend = unsealed(masterKey);
  const handle = await backend.createKek(ref);
  const wrapped = await backend.wrap(ref, handle, randomBytes(32));
  await backend.destroyKek(ref, handle);
  await backend.destroyKek(ref, handle);
  // Still recoverable from the handle (the caller deletes it from storage); nothing else holds the KEK.
  assert.equal((await backend.unwrap(ref, handle, wrapped)).length, 32);
  const other = await backend.createKek({ keyId: ref.keyId, version: 9 });
  await assert.rejects(backend.unwrap(ref, other, wrapped), failsWith('unwrap_failed'));
});

test('invalid key references are refused', async () => {
  const backend = unsealed();
  for (const bad of [{ keyId: '', version: 1 }, { keyId: 'k', version: 0 }, { keyId: 'k', version: 1.5 }, { keyId: 'k'.repeat(201), version: 1 }]) {
    await assert.rejects(backend.createKek(bad), failsWith('backend_failure'));
  }
});

test('close() seals the backend', async () => {
  const backend = unsealed();
  await backend.close();
  assert.equal(backend.isSealed(), true);
  await assert.rejects(backend.createKek(ref), failsWith('sealed'));
});
