import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransportFaults } from './transport-faults.ts';

test('faults are used up in order, each by the first call it applies to', () => {
  const faults = createTransportFaults();
  assert.equal(faults.take('authorize'), null);
  faults.failNext(1, { operations: ['refund'], timing: 'response_lost' });
  faults.failNext(2);
  assert.equal(faults.pending(), 3);
  assert.equal(faults.take('capture'), 'request_lost');
  assert.equal(faults.take('refund'), 'response_lost');
  assert.equal(faults.take('refund'), 'request_lost');
  assert.equal(faults.take('refund'), null);
  assert.equal(faults.pending(), 0);
});

test('a fault for one operation leaves the others alone; clear drops every plan', () => {
  const faults = createTransportFaults();
  faults.failNext(2, { operations: ['capture', 'reverse'] });
  assert.equal(faults.take('authorize'), null);
  assert.equal(faults.take('reverse'), 'request_lost');
  faults.clear();
  assert.equal(faults.take('capture'), null);
  assert.throws(() => faults.failNext(-1), TypeError);
  assert.throws(() => faults.failNext(1.5), TypeError);
  faults.failNext(0);
  assert.equal(faults.pending(), 0);
});
