import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createGroupCommit } from './group-commit.ts';

test('items submitted while a batch is written go together in the next batch, each gets its own result', async () => {
  const batches: number[][] = [];
  const queue = createGroupCommit<number, number>({
    maxBatch: 10,
    run: async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return items.map((n) => n * 2);
    },
  });
  const results = await Promise.all(Array.from({ length: 25 }, (_, i) => queue.submit(i)));
  assert.deepEqual(results, Array.from({ length: 25 }, (_, i) => i * 2));
  assert.deepEqual(batches.map((b) => b.length), [1, 10, 10, 4], 'the first goes alone at once, the rest in batches of at most 10');
});

test('a failing batch rejects its own items only; the next batch still runs', async () => {
  let calls = 0;
  const queue = createGroupCommit<string, string>({
    maxBatch: 100,
    run: async (items) => {
      calls++;
      if (items.includes('bad')) throw new Error('batch failed');
      return items;
    },
  });
  const first = queue.submit('bad');
  await assert.rejects(first, /batch failed/);
  assert.equal(await queue.submit('good'), 'good');
  assert.equal(calls, 2);
  await queue.idle();
  assert.equal(queue.pending(), 0);
});

test('property: every submitted item resolves exactly once with its own result, whatever the batching', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), async (values, maxBatch) => {
    const seen: number[] = [];
    const queue = createGroupCommit<number, string>({
      maxBatch,
      run: async (items) => {
        assert.ok(items.length <= maxBatch);
        seen.push(...items);
        await Promise.resolve();
        return items.map(String);
      },
    });
    const results = await Promise.all(values.map((v) => queue.submit(v)));
    assert.deepEqual(results, values.map(String));
    assert.deepEqual(seen, values);
  }), { numRuns: 50 });
});

test('with maxInFlight, several batches are written at once and never more than that', async () => {
  let active = 0;
  let peak = 0;
  const queue = createGroupCommit<number, number>({
    maxBatch: 4, maxInFlight: 3,
    run: async (items) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return items;
    },
  });
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => queue.submit(i)));
  assert.deepEqual(results, Array.from({ length: 40 }, (_, i) => i));
  assert.equal(peak, 3);
  await queue.idle();
  assert.equal(queue.inFlight(), 0);
});
