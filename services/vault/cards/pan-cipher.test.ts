import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CardCipherError, NONCE_BYTES, TAG_BYTES, decryptField, encodeAad, encryptField } from './pan-cipher.ts';
import type { FieldAad, SealedField } from './pan-cipher.ts';

const PAN = '4242424242424242';
const AAD: FieldAad = { recordId: 'card_test_5x1abc', merchantId: 'acct_test_5x1mer', dekId: 'dek_01', kekVersion: 3, purpose: 'pan' };

function assertDecryptFails(key: Buffer, sealed: SealedField, aad: FieldAad, what: string): void {
  assert.throws(
    () => decryptField(key, sealed, aad),
    (error: unknown) => {
      assert.ok(error instanceof CardCipherError, `${what}: not a CardCipherError`);
      assert.equal(error.code, 'decrypt_failed', what);
      assert.ok(!error.message.includes(PAN) && !/[0-9]{4}/.test(error.message), `${what}: message leaks digits`);
      assert.ok(!error.message.includes(key.toString('hex')) && !error.message.includes(key.toString('base64')));
      return true;
    },
    what,
  );
}

const flipBit = (buffer: Buffer, bit: number): Buffer => {
  const copy = Buffer.from(buffer);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
};

test('round trip: a PAN and a CVV decrypt to the same bytes; the layout is nonce 12, ct||tag', () => {
  const key = randomBytes(32);
  const sealed = encryptField(key, PAN, AAD);
  assert.equal(sealed.nonce.length, NONCE_BYTES);
  assert.equal(sealed.ciphertext.length, PAN.length + TAG_BYTES);
  assert.ok(!sealed.ciphertext.includes(Buffer.from(PAN)), 'ciphertext contains the PAN');
  const plain = decryptField(key, sealed, AAD);
  assert.equal(plain.toString('utf8'), PAN);
  plain.fill(0);
  assert.ok(plain.every((b) => b === 0), 'the caller can zero the result');

  const cvvAad: FieldAad = { ...AAD, purpose: 'cvv' };
  const cvv = Buffer.from('123');
  const sealedCvv = encryptField(key, cvv, cvvAad);
  assert.equal(cvv.toString(), '123', 'a Buffer plaintext is left to the caller');
  assert.equal(decryptField(key, sealedCvv, cvvAad).toString(), '123');
  // Without kekVersion the binding is still accepted, and differs from one with it.
  const noVersion: FieldAad = { recordId: 'r', merchantId: 'm', dekId: 'd', purpose: 'pan' };
  assert.equal(decryptField(key, encryptField(key, PAN, noVersion), noVersion).toString(), PAN);
  assertDecryptFails(key, encryptField(key, PAN, noVersion), { ...noVersion, kekVersion: 0 }, 'kekVersion added');
});

test('property: round trip over random PANs, keys and bindings', () => {
  const id = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.isWellFormed() && Buffer.byteLength(s) <= 255);
  const aad = fc.record(
    {
      recordId: id,
      merchantId: id,
      dekId: id,
      kekVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
      purpose: fc.constantFrom('pan' as const, 'cvv' as const),
    },
    { requiredKeys: ['recordId', 'merchantId', 'dekId', 'purpose'] },
  );
  const pan = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 13, maxLength: 19 });
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), pan, aad, (keyBytes, pan, aad) => {
      const key = Buffer.from(keyBytes);
      const sealed = encryptField(key, Buffer.from(pan), aad);
      assert.equal(sealed.ciphertext.length, pan.length + TAG_BYTES);
      assert.equal(decryptField(key, sealed, aad).toString(), pan);
    }),
    { numRuns: 500 },
  );
});

test('flipping any single bit of the nonce, the ciphertext or the tag makes decryption fail', () => {
  const key = randomBytes(32);
  const sealed = encryptField(key, PAN, AAD);
  const split = sealed.ciphertext.length - TAG_BYTES;
  let tried = 0;
  for (let bit = 0; bit < sealed.nonce.length * 8; bit++) {
    assertDecryptFails(key, { nonce: flipBit(sealed.nonce, bit), ciphertext: sealed.ciphertext }, AAD, `nonce bit ${bit}`);
    tried++;
  }
  for (let bit = 0; bit < split * 8; bit++) {
    assertDecryptFails(key, { nonce: sealed.nonce, ciphertext: flipBit(sealed.ciphertext, bit) }, AAD, `ciphertext bit ${bit}`);
    tried++;
  }
  for (let bit = split * 8; bit < sealed.ciphertext.length * 8; bit++) {
    assertDecryptFails(key, { nonce: sealed.nonce, ciphertext: flipBit(sealed.ciphertext, bit) }, AAD, `tag bit ${bit - split * 8}`);
    tried++;
  }
  assert.equal(tried, (NONCE_BYTES + PAN.length + TAG_BYTES) * 8);
  // The untouched record still decrypts: the failures above come from the flips.
  assert.equal(decryptField(key, sealed, AAD).toString(), PAN);
});

test('a ciphertext moved to another record, merchant, data key, KEK version or purpose fails', () => {
  const key = randomBytes(32);
  const sealed = encryptField(key, PAN, AAD);
  const moved: [string, FieldAad][] = [
    ['record id', { ...AAD, recordId: 'card_test_5x1abd' }],
    ['merchant', { ...AAD, merchantId: 'acct_test_other' }],
    ['dek id', { ...AAD, dekId: 'dek_02' }],
    ['kek version', { ...AAD, kekVersion: 4 }],
    ['kek version dropped', { recordId: AAD.recordId, merchantId: AAD.merchantId, dekId: AAD.dekId, purpose: 'pan' }],
    ['purpose', { ...AAD, purpose: 'cvv' }],
    // Field boundaries are part of the encoding: moving characters between fields is a different binding.
    ['boundary', { ...AAD, recordId: 'card_test_5x1ab', merchantId: 'cacct_test_5x1mer' }],
  ];
  for (const [what, aad] of moved) assertDecryptFails(key, sealed, aad, what);
  assert.equal(decryptField(key, sealed, AAD).toString(), PAN);
});

test('a ciphertext under another key fails; malformed input fails the same way', () => {
  const key = randomBytes(32);
  const sealed = encryptField(key, PAN, AAD);
  assertDecryptFails(randomBytes(32), sealed, AAD, 'another key');
  assertDecryptFails(key.subarray(0, 16), sealed, AAD, 'short key');
  assertDecryptFails(key, { nonce: sealed.nonce.subarray(0, 11), ciphertext: sealed.ciphertext }, AAD, 'short nonce');
  assertDecryptFails(key, { nonce: sealed.nonce, ciphertext: sealed.ciphertext.subarray(0, TAG_BYTES - 1) }, AAD, 'short ciphertext');
  assertDecryptFails(key, { nonce: sealed.nonce, ciphertext: sealed.ciphertext.subarray(0, sealed.ciphertext.length - 1) }, AAD, 'truncated tag');
  assertDecryptFails(key, null as any, AAD, 'no sealed field');
  assertDecryptFails(key, sealed, { ...AAD, purpose: 'token' as any }, 'unknown purpose');
});

test('two encryptions of the same PAN differ in nonce and ciphertext', () => {
  const key = randomBytes(32);
  const a = encryptField(key, PAN, AAD);
  const b = encryptField(key, PAN, AAD);
  assert.notDeepEqual(a.nonce, b.nonce);
  assert.notDeepEqual(a.ciphertext, b.ciphertext);
  assert.equal(decryptField(key, b, AAD).toString(), PAN);
});

test('the format is standard AES-256-GCM with the canonical AAD, readable by node:crypto directly', () => {
  const key = randomBytes(32);
  const sealed = encryptField(key, PAN, AAD);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: 16 });
  decipher.setAAD(encodeAad(AAD));
  decipher.setAuthTag(sealed.ciphertext.subarray(-16));
  const plain = Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, -16)), decipher.final()]);
  assert.equal(plain.toString(), PAN);
});

test('encodeAad is unambiguous: distinct bindings give distinct bytes', () => {
  const id = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u00ff', 'é'), minLength: 1, maxLength: 6 });
  const aad = fc.record(
    { recordId: id, merchantId: id, dekId: id, kekVersion: fc.integer({ min: 0, max: 3 }), purpose: fc.constantFrom('pan' as const, 'cvv' as const) },
    { requiredKeys: ['recordId', 'merchantId', 'dekId', 'purpose'] },
  );
  const canonical = (a: FieldAad) => JSON.stringify([a.recordId, a.merchantId, a.dekId, a.kekVersion ?? null, a.purpose]);
  fc.assert(
    fc.property(aad, aad, (a, b) => {
      assert.equal(encodeAad(a).equals(encodeAad(b)), canonical(a) === canonical(b));
    }),
    { numRuns: 5_000 },
  );
});

test('encryption refuses a wrong-size key, an invalid binding and a non-byte plaintext without echoing them', () => {
  const key = randomBytes(32);
  const refuses = (fn: () => unknown, code: string) =>
    assert.throws(fn, (error: unknown) => error instanceof CardCipherError && error.code === code && !error.message.includes(PAN));
  refuses(() => encryptField(randomBytes(16), PAN, AAD), 'invalid_key');
  refuses(() => encryptField('k'.repeat(32) as any, PAN, AAD), 'invalid_key');
  refuses(() => encryptField(key, PAN, { ...AAD, recordId: '' }), 'invalid_aad');
  refuses(() => encryptField(key, PAN, { ...AAD, merchantId: 'x'.repeat(256) }), 'invalid_aad');
  refuses(() => encryptField(key, PAN, { ...AAD, dekId: 'a\ud800' }), 'invalid_aad');
  refuses(() => encryptField(key, PAN, { ...AAD, kekVersion: -1 }), 'invalid_aad');
  refuses(() => encryptField(key, PAN, { ...AAD, kekVersion: 1.5 }), 'invalid_aad');
  refuses(() => encryptField(key, PAN, { ...AAD, purpose: 'PAN' as any }), 'invalid_aad');
  refuses(() => encryptField(key, Number(PAN) as any, AAD), 'invalid_plaintext');
});
