// The journal lines of each money movement (README.md in this folder), as pure functions so the
// arithmetic is checked apart from the database. Amounts are non-negative safe integers in the
// currency's smallest unit; a line moves exactly one side, and a zero movement is no line at all.
import type { LedgerAccount } from '../db.ts';

export type Line = { account: LedgerAccount; debit: number; credit: number };
export type Direction = 'credit' | 'debit';

const isAmount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A line moving `account` by `delta` on its credit side (negative: a debit); none for zero. */
function move(account: LedgerAccount, delta: number): Line[] {
  if (delta === 0) return [];
  return [delta > 0 ? { account, debit: 0, credit: delta } : { account, debit: -delta, credit: 0 }];
}

/**
 * A captured charge: the acquirer owes what was captured; the merchant is owed the net, Strongroom
 * earns the fee and owes the VAT on it. `captured = net + fee + feeVat` always (charges/fees.ts).
 */
export function captureLines(amounts: { captured: number; fee: number; feeVat: number; net: number }): Line[] {
  const { captured, fee, feeVat, net } = amounts;
  if (![captured, fee, feeVat].every(isAmount) || !Number.isSafeInteger(net) || captured <= 0) {
    throw new RangeError('a capture is booked with a positive captured amount and non-negative fee and VAT');
  }
  if (net + fee + feeVat !== captured) throw new RangeError(`net ${net} + fee ${fee} + VAT ${feeVat} is not the captured ${captured}`);
  return [...move('acquirer_receivable', -captured), ...move('merchant_balance', net), ...move('fees', fee), ...move('vat', feeVat)];
}

/** A refund: the merchant gives back the refunded amount (fees are not returned), the acquirer pays it out. */
export function refundLines(amount: number): Line[] {
  if (!isAmount(amount) || amount === 0) throw new RangeError('a refund is booked with a positive amount');
  return [...move('merchant_balance', -amount), ...move('acquirer_receivable', amount)];
}

/** Debits equal credits, at least two lines, every line one-sided and in range. */
export function isBalanced(lines: readonly Line[]): boolean {
  if (lines.length < 2) return false;
  let debits = 0;
  let credits = 0;
  for (const line of lines) {
    if (!isAmount(line.debit) || !isAmount(line.credit) || (line.debit === 0) === (line.credit === 0)) return false;
    debits += line.debit;
    credits += line.credit;
  }
  return Number.isSafeInteger(debits) && debits === credits;
}

/** How the lines move the merchant's balance: the Omise transaction's direction and amount. */
export function merchantMovement(lines: readonly Line[]): { direction: Direction; amount: number } {
  const delta = lines.filter((line) => line.account === 'merchant_balance').reduce((sum, line) => sum + line.credit - line.debit, 0);
  return delta >= 0 ? { direction: 'credit', amount: delta } : { direction: 'debit', amount: -delta };
}
