// The plaintext DEK cache: bounded, expiring a fixed time after a key was fetched, and zeroising every
// buffer that leaves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDekCache } from './dek-cache.ts';

const zero = Buffer.alloc(32);
function setup(maxEntries = 2, ttlMs = 1_000) {
  const clock = { t: 0 };
  return { clock, cache: createDekCache({ maxEntries, ttlMs, now: () => clock.t }) };
}

test('evicts the least recently used key and zeroises it', () => {
  const { cache } = setup(2);
  const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const aBytes = Buffer.from(a);
  cache.set('a', a);
  cache.set('b', b);
  assert.deepEqual(cache.get('a'), aBytes); // a is now the most recently used
  cache.set('c', c);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  assert.deepEqual(b, zero, 'the evicted key was not zeroised');
  assert.deepEqual(cache.get('a'), aBytes);
  assert.notDeepEqual(c, zero);
});

test('a key expires a fixed time after it was cached, however often it is used, and is zeroised', () => {
  const { clock, cache } = setup(4, 1_000);
  const a = randomBytes(32);
  const b = randomBytes(32);
  cache.set('a', a);
  cache.set('b', b);
  clock.t = 600;
  assert.ok(cache.get('a'));
  clock.t = 999;
  assert.ok(cache.get('a'));
  clock.t = 1_000;
  assert.equal(cache.get('a'), undefined);
  assert.deepEqual(a, zero);
  // b is never asked for again: the sweep zeroises it.
  assert.notDeepEqual(b, zero);
  cache.sweep();
  assert.deepEqual(b, zero);
  assert.equal(cache.size, 0);
});

test('an expiry is never later than now + ttl; one already past zeroises the key at once', () => {
  const { clock, cache } = setup(4, 1_000);
  const late = randomBytes(32);
  cache.set('late', late, 5_000);
  clock.t = 1_000;
  assert.equal(cache.get('late'), undefined);
  assert.deepEqual(late, zero);
  const past = randomBytes(32);
  cache.set('past', past, clock.t - 1);
  assert.deepEqual(past, zero);
  assert.equal(cache.size, 0);
});

test('replacing, deleting and clearing zeroise the buffers that leave', () => {
  const { cache } = setup(4);
  const [first, second, other] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  cache.set('a', first);
  cache.set('a', second);
  assert.deepEqual(first, zero);
  assert.notDeepEqual(second, zero);
  cache.set('b', other);
  cache.delete('a');
  assert.deepEqual(second, zero);
  cache.clear();
  assert.deepEqual(other, zero);
  assert.equal(cache.size, 0);
});

test('refuses a nonsensical configuration', () => {
  assert.throws(() => createDekCache({ maxEntries: 0, ttlMs: 1, now: Date.now }), /maxEntries/);
  assert.throws(() => createDekCache({ maxEntries: 1, ttlMs: 0, now: Date.now }), /ttlMs/);
});
