// The refund form's amount: a whole number in the currency's smallest unit, more than zero and at
// most what is left to refund. Messages say what to type and never echo the input.
import { httpError } from '#lib/http/index.ts';
import type { Charge } from './payments-api.ts';
import { formatAmount, minorDigits } from './money.ts';

/** What is left to refund on a paid charge (0 when it cannot be refunded). */
export function refundableOf(charge: Pick<Charge, 'refundable' | 'captured_amount' | 'refunded_amount'>): number {
  return charge.refundable ? Math.max(0, charge.captured_amount - charge.refunded_amount) : 0;
}

export function readRefundAmount(raw: string, charge: Charge): number {
  const text = raw.trim();
  const left = refundableOf(charge);
  if (left === 0) throw httpError(400, 'failed_refund', 'This charge cannot be refunded: it is not paid, or it is already refunded in full.');
  const unit = minorDigits(charge.currency) === 0 ? charge.currency.toUpperCase() : `the smallest unit of ${charge.currency.toUpperCase()}`;
  const example = `for example ${left} for ${formatAmount(left, charge.currency)}`;
  if (text === '') throw httpError(400, 'invalid_amount', `Enter the amount to refund, in ${unit} (${example}).`);
  if (!/^\d{1,16}$/.test(text)) throw httpError(400, 'invalid_amount', `Enter the amount as a whole number in ${unit}, without separators (${example}).`);
  const amount = Number(text);
  if (amount === 0) throw httpError(400, 'invalid_amount', 'The amount to refund must be more than zero.');
  if (amount > left) throw httpError(400, 'invalid_amount', `The amount is more than the ${formatAmount(left, charge.currency)} left to refund.`);
  return amount;
}
