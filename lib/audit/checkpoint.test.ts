import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { checkpointPayload, checkSignerAnswer, CHECKPOINT_DOMAIN, decodeSignature, verifyCheckpointSignature, type CheckpointClaim } from './checkpoint.ts';

const claim: CheckpointClaim = {
  service: 'vault', stream: 'acct_a', seq: 42, hash: 'AB'.repeat(32), signedAt: new Date('2025-01-02T03:04:05.678Z'),
};
const keys = generateKeyPairSync('ed25519');
const signClaim = (c: CheckpointClaim, key = keys.privateKey) => sign(null, checkpointPayload(c), key).toString('base64');

test('the payload is the domain line, then the canonical JSON of the claim (exact bytes)', () => {
  const text = Buffer.from(checkpointPayload(claim)).toString('utf8');
  assert.equal(text, 'strongroom-audit-checkpoint:v1\n'
    + `{"hash":"${'ab'.repeat(32)}","seq":42,"service":"vault","signedAt":"2025-01-02T03:04:05.678Z","stream":"acct_a"}`);
  assert.ok(text.startsWith(CHECKPOINT_DOMAIN));
  assert.deepEqual(checkpointPayload({ ...claim, hash: Buffer.alloc(32, 0xab) }), checkpointPayload(claim), 'bytes and hex give one payload');
});

test('a claim no checkpointer could sign is refused', () => {
  for (const bad of [
    { seq: 0 }, { seq: 1.5 }, { seq: 2 ** 53 }, { service: '' }, { stream: '' }, { hash: 'ab' }, { hash: Buffer.alloc(31) },
    { signedAt: new Date(Number.NaN) }, { signedAt: '2025-01-02T03:04:05.678Z' as unknown as Date },
  ]) {
    assert.throws(() => checkpointPayload({ ...claim, ...bad }), TypeError, JSON.stringify(bad));
  }
});

const claims = fc.record({
  service: fc.string({ minLength: 1, maxLength: 8 }),
  stream: fc.string({ minLength: 1, maxLength: 8 }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  signedAt: fc.date({ min: new Date(0), max: new Date(8.64e15), noInvalidDate: true }),
});
const key = (c: CheckpointClaim) => JSON.stringify([c.service, c.stream, c.seq, Buffer.from(c.hash as Uint8Array).toString('hex'), c.signedAt.getTime()]);

test('property: different claims give different payloads (the encoding is unambiguous)', () => {
  fc.assert(fc.property(claims, claims, (a, b) => {
    assert.equal(Buffer.from(checkpointPayload(a)).equals(checkpointPayload(b)), key(a) === key(b));
  }), { numRuns: 500 });
  // Field contents that would be ambiguous if simply joined.
  const x = checkpointPayload({ ...claim, service: 'a\nstream', stream: 'b' });
  const y = checkpointPayload({ ...claim, service: 'a', stream: 'stream\nb' });
  assert.notDeepEqual(x, y);
});

test('a signature verifies over its claim only, and only with its key', () => {
  const signature = signClaim(claim);
  assert.equal(verifyCheckpointSignature(claim, signature, keys.publicKey), true);
  for (const changed of [{ seq: 43 }, { service: 'api' }, { stream: 'acct_b' }, { hash: 'cd'.repeat(32) }, { signedAt: new Date(claim.signedAt.getTime() + 1) }]) {
    assert.equal(verifyCheckpointSignature({ ...claim, ...changed }, signature, keys.publicKey), false, JSON.stringify(changed));
  }
  assert.equal(verifyCheckpointSignature(claim, signature, generateKeyPairSync('ed25519').publicKey), false, 'another key');
  assert.equal(verifyCheckpointSignature(claim, signature, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), false, 'not Ed25519');
  assert.equal(verifyCheckpointSignature({ ...claim, seq: 0 }, signature, keys.publicKey), false, 'an unsignable claim is false, not a throw');
  const bytes = Buffer.from(signature, 'base64');
  bytes[10] = bytes[10]! ^ 1;
  assert.equal(verifyCheckpointSignature(claim, bytes.toString('base64'), keys.publicKey), false, 'an edited signature');
});

test('signatures must be canonical base64 of 64 bytes', () => {
  const signature = signClaim(claim);
  assert.equal(decodeSignature(signature)?.length, 64);
  for (const bad of [signature.slice(0, -2), signature + '=', signature.replace(/==$/, ''), ` ${signature}`, Buffer.alloc(63).toString('base64'), 42]) {
    assert.equal(decodeSignature(bad), undefined, String(bad));
  }
  // Same bytes, non-zero padding bits (the last character's low 4 bits): accepted by Buffer.from, refused here.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const sloppy = signature.slice(0, -3) + alphabet[alphabet.indexOf(signature.at(-3)!) | 1] + '==';
  assert.notEqual(sloppy, signature);
  assert.deepEqual(Buffer.from(sloppy, 'base64'), Buffer.from(signature, 'base64'));
  assert.equal(decodeSignature(sloppy), undefined);
  assert.equal(verifyCheckpointSignature(claim, `${signature}\n`, keys.publicKey), false);
});

test('a malformed signer answer is refused before anything is stored', () => {
  const signature = signClaim(claim);
  assert.deepEqual(checkSignerAnswer({ keyId: 'k', keyVersion: 1, signature, extra: 1 }), { keyId: 'k', keyVersion: 1, signature });
  for (const bad of [
    null, {}, { keyId: '', keyVersion: 1, signature }, { keyId: 'k k', keyVersion: 1, signature }, { keyId: 'k', keyVersion: 0, signature },
    { keyId: 'k', keyVersion: '1', signature }, { keyId: 'k', keyVersion: 2 ** 31, signature }, { keyId: 'k', keyVersion: 1, signature: 'c2lnbmF0dXJl' },
  ]) {
    assert.throws(() => checkSignerAnswer(bad), TypeError, JSON.stringify(bad));
  }
});
