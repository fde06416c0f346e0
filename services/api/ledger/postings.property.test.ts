// The journal lines of a capture and a refund balance for every amount and fee rate, and move the
// merchant's balance by exactly the charge's net (credit) or the refunded amount (debit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computeFees } from '../charges/fees.ts';
import { captureLines, isBalanced, merchantMovement, refundLines } from './postings.ts';

const amount = fc.integer({ min: 1, max: 999_999_999_999 });
const rate = fc.integer({ min: 0, max: 10_000 });

test('property: a capture balances, credits the net and books the fee and VAT', () => {
  fc.assert(fc.property(amount, rate, rate, (captured, feeRateBp, vatRateBp) => {
    const { fee, fee_vat: feeVat, net } = computeFees(captured, { feeRateBp, vatRateBp });
    const lines = captureLines({ captured, fee, feeVat, net });
    assert.ok(isBalanced(lines), JSON.stringify(lines));
    assert.deepEqual(merchantMovement(lines), net >= 0 ? { direction: 'credit', amount: net } : { direction: 'debit', amount: -net });
    const on = (account: string) => lines.filter((line) => line.account === account).reduce((sum, line) => sum + line.credit - line.debit, 0);
    assert.deepEqual([on('acquirer_receivable'), on('fees'), on('vat')], [-captured, fee, feeVat]);
  }));
});

test('property: a refund balances and debits the merchant by the refunded amount', () => {
  fc.assert(fc.property(amount, (refunded) => {
    const lines = refundLines(refunded);
    assert.ok(isBalanced(lines));
    assert.deepEqual(merchantMovement(lines), { direction: 'debit', amount: refunded });
  }));
});

test('amounts that do not add up, and unbalanced or one-line entries, are refused', () => {
  assert.throws(() => captureLines({ captured: 100000, fee: 3650, feeVat: 256, net: 96095 }), RangeError);
  assert.throws(() => captureLines({ captured: 0, fee: 0, feeVat: 0, net: 0 }), RangeError);
  assert.throws(() => captureLines({ captured: 100000, fee: -1, feeVat: 257, net: 99744 }), RangeError);
  assert.throws(() => refundLines(0), RangeError);
  assert.throws(() => refundLines(1.5), RangeError);
  assert.equal(isBalanced([{ account: 'merchant_balance', debit: 0, credit: 100 }, { account: 'acquirer_receivable', debit: 99, credit: 0 }]), false);
  assert.equal(isBalanced([{ account: 'merchant_balance', debit: 0, credit: 0 }, { account: 'acquirer_receivable', debit: 0, credit: 0 }]), false, 'zero lines');
  assert.equal(isBalanced([{ account: 'merchant_balance', debit: 5, credit: 5 }, { account: 'fees', debit: 1, credit: 1 }]), false, 'two-sided lines');
  assert.equal(isBalanced(refundLines(100).slice(0, 1)), false, 'one line');
  assert.equal(isBalanced(refundLines(100)), true);
});
