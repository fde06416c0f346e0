import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { entryHash, extendChain, GENESIS_HASH, PLATFORM_STREAM, streamFor } from './chain.ts';

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};

test('the first entry links to 32 zero bytes; hash = SHA-256(prev_hash || canonical(entry))', () => {
  const [first] = extendChain(undefined, [{ b: 2, a: 1 }]);
  assert.equal(first?.seq, 1);
  assert.deepEqual(first?.prevHash, Buffer.alloc(32));
  assert.deepEqual(first?.hash, sha256(Buffer.alloc(32), Buffer.from('{"a":1,"b":2}')));
  assert.deepEqual(GENESIS_HASH, Buffer.alloc(32));
});

test('a batch continues from the head: next seq, prev_hash = head hash', () => {
  const head = { seq: 41, hash: sha256(Buffer.from('head')) };
  const links = extendChain(head, [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(links.map((l) => l.seq), [42, 43]);
  assert.deepEqual(links[0]?.prevHash, head.hash);
  assert.deepEqual(links[1]?.prevHash, links[0]?.hash);
  assert.deepEqual(links[1]?.hash, entryHash(links[0]!.hash, { n: 2 }));
});

test('order matters: the same entries in another order give other hashes', () => {
  const ab = extendChain(undefined, [{ n: 1 }, { n: 2 }]);
  const ba = extendChain(undefined, [{ n: 2 }, { n: 1 }]);
  assert.notDeepEqual(ab[1]?.hash, ba[1]?.hash);
});

test('prev_hash must be 32 bytes', () => {
  assert.throws(() => entryHash(Buffer.alloc(31), {}), /32 bytes/);
});

test('one stream per tenant; platform events share one stream', () => {
  assert.equal(streamFor('acct_1'), 'acct_1');
  assert.equal(streamFor(null), PLATFORM_STREAM);
  assert.equal(PLATFORM_STREAM, '_platform');
});
