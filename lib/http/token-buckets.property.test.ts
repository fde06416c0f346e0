import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTokenBuckets } from './token-buckets.ts';

// A run: requests from a few names, each after some time has passed.
const limit = fc.record({ capacity: fc.integer({ min: 1, max: 50 }), perSeconds: fc.integer({ min: 1, max: 3600 }) });
const steps = fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'c'), afterMs: fc.nat({ max: 120_000 }) }), { maxLength: 300 });

test('property: no name is ever allowed more than capacity + what refilled since its first request', () => {
  fc.assert(fc.property(limit, steps, (bucketLimit, run) => {
    let t = 0;
    const buckets = createTokenBuckets(bucketLimit, { now: () => t });
    const first = new Map<string, number>();
    const allowed = new Map<string, number>();
    for (const step of run) {
      t += step.afterMs;
      if (!first.has(step.name)) first.set(step.name, t);
      const take = buckets.take(step.name);
      assert.ok(take.remaining >= 0 && take.remaining < bucketLimit.capacity);
      if (take.allowed) allowed.set(step.name, (allowed.get(step.name) ?? 0) + 1);
      const refilled = ((t - (first.get(step.name) ?? t)) / 1000) * (bucketLimit.capacity / bucketLimit.perSeconds);
      assert.ok((allowed.get(step.name) ?? 0) <= bucketLimit.capacity + Math.floor(refilled + 1e-9));
    }
  }), { numRuns: 300 });
});

test('property: a refused request succeeds once Retry-After has passed, and not a second sooner', () => {
  fc.assert(fc.property(limit, fc.integer({ min: 1, max: 200 }), (bucketLimit, extra) => {
    let t = 0;
    const buckets = createTokenBuckets(bucketLimit, { now: () => t });
    for (let i = 0; i < bucketLimit.capacity; i++) assert.equal(buckets.take('k').allowed, true);
    for (let i = 0; i < extra; i++) assert.equal(buckets.take('k').allowed, false);
    const { retryAfterSeconds } = buckets.peek('k');
    assert.ok(retryAfterSeconds >= 1);
    t = (retryAfterSeconds - 1) * 1000 - 1;
    if (t >= 0) assert.equal(buckets.peek('k').allowed, false, 'Retry-After is not longer than needed');
    t = retryAfterSeconds * 1000;
    assert.equal(buckets.take('k').allowed, true);
  }), { numRuns: 300 });
});

test('property: however many names pass, at most maxNames are remembered', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 500 }), (maxNames, names) => {
    let t = 0;
    const buckets = createTokenBuckets({ capacity: 3, perSeconds: 60 }, { now: () => t, maxNames });
    for (const name of names) {
      t += 10;
      buckets.take(name);
      assert.ok(buckets.size() <= maxNames);
    }
  }), { numRuns: 200 });
});
