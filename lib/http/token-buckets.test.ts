import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenBuckets } from './token-buckets.ts';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

test('a full bucket allows `capacity` requests, then refuses with the seconds until the next token', () => {
  const time = clock();
  const buckets = createTokenBuckets({ capacity: 3, perSeconds: 60 }, { now: time.now });
  assert.deepEqual([1, 2, 3].map(() => buckets.take('key_a').remaining), [2, 1, 0]);
  assert.deepEqual(buckets.take('key_a'), { allowed: false, remaining: 0, retryAfterSeconds: 20 });
  time.advance(19_000);
  assert.deepEqual(buckets.take('key_a'), { allowed: false, remaining: 0, retryAfterSeconds: 1 });
  time.advance(1_000);
  assert.equal(buckets.take('key_a').allowed, true, 'one token back after 60 s / 3');
  assert.equal(buckets.take('key_a').allowed, false);
});

test('names are independent; peek never takes', () => {
  const time = clock();
  const buckets = createTokenBuckets({ capacity: 1, perSeconds: 1 }, { now: time.now });
  assert.equal(buckets.peek('10.0.0.1').allowed, true);
  assert.equal(buckets.peek('10.0.0.1').allowed, true);
  assert.equal(buckets.take('10.0.0.1').allowed, true);
  assert.deepEqual(buckets.peek('10.0.0.1'), { allowed: false, remaining: 0, retryAfterSeconds: 1 });
  assert.equal(buckets.take('10.0.0.2').allowed, true);
});

test('refills never exceed capacity, and a clock step backwards refills nothing', () => {
  const time = clock();
  const buckets = createTokenBuckets({ capacity: 2, perSeconds: 10 }, { now: time.now });
  buckets.take('k');
  time.advance(3_600_000);
  assert.equal(buckets.peek('k').remaining, 2);
  buckets.take('k');
  buckets.take('k');
  time.advance(-60_000);
  assert.equal(buckets.take('k').allowed, false);
});

test('memory stays bounded: full buckets are forgotten first, then the least recently used', () => {
  const time = clock();
  const buckets = createTokenBuckets({ capacity: 5, perSeconds: 1 }, { now: time.now, maxNames: 10 });
  for (let i = 0; i < 10; i++) buckets.take(`old_${i}`);
  time.advance(10_000); // every old bucket has refilled: they can all go
  buckets.take('hot');
  buckets.take('hot');
  assert.equal(buckets.size(), 1);
  for (let i = 0; i < 1000; i++) buckets.take(`ip_${i}`);
  assert.ok(buckets.size() <= 10);
  assert.equal(buckets.peek('ip_999').remaining, 4, 'the most recent name is kept');
});

test('limits are checked', () => {
  assert.throws(() => createTokenBuckets({ capacity: 0, perSeconds: 60 }), RangeError);
  assert.throws(() => createTokenBuckets({ capacity: 1.5, perSeconds: 60 }), RangeError);
  assert.throws(() => createTokenBuckets({ capacity: 10, perSeconds: 0 }), RangeError);
});
