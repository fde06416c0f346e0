import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { checkpointPayload } from './checkpoint.ts';
import { extendChain } from './chain.ts';
import { createTestSigner } from './testing.ts';
import { verifyCheckpoints, type StoredCheckpoint } from './verify-checkpoints.ts';

const STREAM = 'acct_a';
const keys = createTestSigner();
const links = extendChain(undefined, Array.from({ length: 8 }, (_, i) => ({ tenant: STREAM, n: i + 1 })));
const hashes = new Map(links.map((l) => [l.seq, l.hash]));

function checkpoint(seq: number, hash = hashes.get(seq)!): StoredCheckpoint {
  const claim = { service: 'api', stream: STREAM, seq, hash, signedAt: new Date(1_700_000_000_000 + seq) };
  return { ...claim, keyId: keys.keyId, keyVersion: keys.keyVersion, signature: sign(null, checkpointPayload(claim), keys.privateKey).toString('base64') };
}
const options = { publicKeys: keys.publicKeys, stream: STREAM, service: 'api' };

test('checkpoints in any order: counted, the last one named, the unsigned tail measured', () => {
  assert.deepEqual(verifyCheckpoints([checkpoint(5), checkpoint(2)], hashes, 8, options), { ok: true, count: 2, lastSeq: 5, unsignedTail: 3 });
  assert.deepEqual(verifyCheckpoints([], hashes, 8, options), { ok: true, count: 0, lastSeq: null, unsignedTail: 8 });
  assert.deepEqual(verifyCheckpoints([], new Map(), 0, options), { ok: true, count: 0, lastSeq: null, unsignedTail: 0 });
});

test('the first broken checkpoint is named, whatever breaks later', () => {
  const forged = { ...checkpoint(4), signature: checkpoint(5).signature };
  assert.deepEqual(verifyCheckpoints([checkpoint(7, Buffer.alloc(32)), forged, checkpoint(2)], hashes, 8, options),
    { ok: false, firstBrokenCheckpoint: 4, reason: 'bad_signature' });
  assert.deepEqual(verifyCheckpoints([checkpoint(2), checkpoint(7, Buffer.alloc(32))], hashes, 8, options),
    { ok: false, firstBrokenCheckpoint: 7, reason: 'mismatch' });
  assert.deepEqual(verifyCheckpoints([checkpoint(2), { ...checkpoint(3), keyVersion: 2 }], hashes, 8, options),
    { ok: false, firstBrokenCheckpoint: 3, reason: 'unknown_key' });
  assert.deepEqual(verifyCheckpoints([checkpoint(8)], new Map([...hashes].filter(([seq]) => seq < 8)), 7, options),
    { ok: false, firstBrokenCheckpoint: 8, reason: 'missing' });
  assert.deepEqual(verifyCheckpoints([checkpoint(2)], hashes, 8, { ...options, stream: 'acct_b' }),
    { ok: false, firstBrokenCheckpoint: 2, reason: 'bad_signature' }, 'a checkpoint of another stream');
  assert.deepEqual(verifyCheckpoints([checkpoint(2)], hashes, 8, { ...options, service: 'vault' }),
    { ok: false, firstBrokenCheckpoint: 2, reason: 'wrong_service' });
});
