import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computeFees, DEFAULT_CARD_FEES, rateString, transactionFees } from './fees.ts';

test('the four recorded Omise charges (docs/omise-compat.md §7.3), halves rounded up', () => {
  const cases: Array<[number, number, number, number]> = [[100000, 3650, 256, 96094], [50000, 1825, 128, 48047], [12345, 451, 32, 11862], [5000, 183, 13, 4804]];
  for (const [base, fee, vat, net] of cases) assert.deepEqual(computeFees(base, DEFAULT_CARD_FEES), { fee, fee_vat: vat, net }, String(base));
});

test('rates as Omise writes them: strings with at least one decimal', () => {
  assert.deepEqual(transactionFees(DEFAULT_CARD_FEES), { fee_flat: '0.0', fee_rate: '3.65', vat_rate: '7.0' });
  assert.deepEqual([0, 5, 50, 305, 350, 1000].map(rateString), ['0.0', '0.05', '0.5', '3.05', '3.5', '10.0']);
});

test('property: fee is the half-up rounding of base × rate, and net + fee + vat = base', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 999_999_999_999 }), fc.constant(999_999_999_999)), fc.integer({ min: 0, max: 10_000 }), (base, bp) => {
    const { fee, fee_vat: vat, net } = computeFees(base, { feeRateBp: bp, vatRateBp: 700 });
    const exact = (BigInt(base) * BigInt(bp) * 2n + 10_000n) / 20_000n; // floor(x + 1/2), x = base·bp/10⁴
    assert.equal(BigInt(fee), exact);
    assert.equal(net + fee + vat, base);
  }), { numRuns: 2_000 });
});
