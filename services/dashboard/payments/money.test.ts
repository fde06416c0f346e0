import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAmount, minorDigits } from './money.ts';

test('amounts in the smallest unit read with the currency\'s decimals, exactly', () => {
  assert.deepEqual([minorDigits('THB'), minorDigits('jpy'), minorDigits('USD')], [2, 0, 2]);
  assert.equal(formatAmount(100_050, 'THB'), 'THB 1,000.50');
  assert.equal(formatAmount(5, 'thb'), 'THB 0.05');
  assert.equal(formatAmount(0, 'USD'), 'USD 0.00');
  assert.equal(formatAmount(1_234_567, 'JPY'), 'JPY 1,234,567');
  assert.equal(formatAmount(-2_000, 'SGD'), '-SGD 20.00');
  assert.equal(formatAmount(9_007_199_254_740_991, 'THB'), 'THB 90,071,992,547,409.91');
  assert.equal(formatAmount(100, 'not a code'), '100 not a code');
});
