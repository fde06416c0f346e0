// The charge object per state, against the status/flag table of docs/omise-compat.md §7.3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presentCharge, presentRefund } from './charge-view.ts';
import type { ChargeRow } from './charges.store.ts';
import type { RefundRow } from '../refunds/refunds.store.ts';

const CREATED = new Date('2026-03-15T12:00:00.250Z');
const NOW = new Date('2026-03-15T12:05:00Z');
const AT = new Date('2026-03-15T12:00:01Z');

function row(change: Partial<ChargeRow>): ChargeRow {
  return {
    id: 'chrg_test_5x1753iuub61dfe41q4', account_id: 'acct_test_000000000000000000a', livemode: false, exchange: 'answered',
    status: 'pending', amount: 12345, currency: 'THB', description: null, metadata: {}, capture: true, authorization_type: null,
    customer_id: null, token_id: 'tokn_test_0000000000000000000', card_id: 'card_test_0000000000000000000', card: { object: 'card', last_digits: '4242' },
    authorization_id: 'auth_test_0000000000000000000', authorized: false, authorized_amount: 0, captured_amount: 0, refunded_amount: 0,
    failure_code: null, failure_message: null, authorize_uri: null, return_uri: null, ip: null, fee_rate_bp: 365, vat_rate_bp: 700,
    authorized_at: null, paid_at: null, reversed_at: null, expired_at: null, created_at: CREATED, updated_at: CREATED,
    transaction_id: 'trxn_test_0000000000000000001', authenticated_by: null,
    ...change,
  };
}

const flags = (view: ReturnType<typeof presentCharge>) => ({
  status: view.status, authorized: view.authorized, paid: view.paid, capturable: view.capturable, reversible: view.reversible,
  refundable: view.refundable, reversed: view.reversed, expired: view.expired, disputable: view.disputable,
});

test('auto-captured: successful, paid, refundable, fees on the amount', () => {
  const view = presentCharge(row({ status: 'successful', authorized: true, authorized_amount: 12345, captured_amount: 12345, authorized_at: AT, paid_at: AT }), [], NOW);
  assert.deepEqual(flags(view), { status: 'successful', authorized: true, paid: true, capturable: false, reversible: false, refundable: true, reversed: false, expired: false, disputable: true });
  assert.deepEqual([view.fee, view.fee_vat, view.net], [451, 32, 11862]);
  assert.equal(view.paid_at, '2026-03-15T12:00:01Z');
  assert.equal(view.created_at, '2026-03-15T12:00:00Z');
  assert.equal(view.expires_at, '2026-03-22T12:00:00Z', 'created_at + 7 days');
  assert.equal(view.transaction, 'trxn_test_0000000000000000001', 'the ledger credit, once paid');
  assert.deepEqual(view.transaction_fees, { fee_flat: '0.0', fee_rate: '3.65', vat_rate: '7.0' });
  assert.deepEqual(view.refunds, { object: 'list', data: [], limit: 20, offset: 0, total: 0, order: 'chronological', from: '1970-01-01T00:00:00Z', to: '2026-03-15T12:05:00Z', location: '/charges/chrg_test_5x1753iuub61dfe41q4/refunds' });
});

test('authorized only: pending, capturable and reversible until the authorization lapses', () => {
  const pending = row({ capture: false, authorized: true, authorized_amount: 12345, authorized_at: AT });
  assert.deepEqual(flags(presentCharge(pending, [], NOW)), { status: 'pending', authorized: true, paid: false, capturable: true, reversible: true, refundable: false, reversed: false, expired: false, disputable: false });
  assert.equal(presentCharge(pending, [], NOW).transaction, null, 'no ledger credit before capture');
  const lapsed = presentCharge(pending, [], new Date(CREATED.getTime() + 7 * 86_400_000 + 1));
  assert.equal(lapsed.capturable, false);
  assert.equal(lapsed.reversible, false);
});

test('partial capture: fees on the captured amount; refunds embedded and counted', () => {
  const refund: RefundRow = { id: 'rfnd_test_0000000000000000001', charge_id: 'chrg_test_5x1753iuub61dfe41q4', account_id: 'acct_test_000000000000000000a', livemode: false, exchange: 'answered', amount: 1000, currency: 'THB', status: 'closed', voided: false, metadata: {}, created_at: AT, transaction_id: 'trxn_test_0000000000000000002' };
  const view = presentCharge(row({ status: 'successful', capture: false, authorized: true, amount: 100000, authorized_amount: 100000, captured_amount: 50000, refunded_amount: 1000, paid_at: AT }), [refund], NOW);
  assert.deepEqual([view.fee, view.fee_vat, view.net], [1825, 128, 48047]);
  assert.equal(view.refundable, true);
  assert.equal(view.refunds.total, 1);
  assert.deepEqual(view.refunds.data[0], presentRefund(refund));
  assert.equal(presentRefund(refund).location, '/charges/chrg_test_5x1753iuub61dfe41q4/refunds/rfnd_test_0000000000000000001');
  assert.equal(presentRefund(refund).transaction, 'trxn_test_0000000000000000002', 'the ledger debit');
  const full = presentCharge(row({ status: 'successful', authorized: true, authorized_amount: 5000, captured_amount: 5000, refunded_amount: 5000, paid_at: AT }), [], NOW);
  assert.equal(full.refundable, false, 'fully refunded');
});

test('reversed, declined and expired', () => {
  assert.deepEqual(flags(presentCharge(row({ status: 'reversed', authorized: true, authorized_amount: 12345, reversed_at: AT }), [], NOW)),
    { status: 'reversed', authorized: true, paid: false, capturable: false, reversible: false, refundable: false, reversed: true, expired: false, disputable: false });
  const failed = presentCharge(row({ status: 'failed', failure_code: 'insufficient_fund', failure_message: 'insufficient funds in the account or the card has reached the credit limit' }), [], NOW);
  assert.deepEqual(flags(failed), { status: 'failed', authorized: false, paid: false, capturable: false, reversible: false, refundable: false, reversed: false, expired: false, disputable: false });
  assert.equal(failed.failure_code, 'insufficient_fund');
  const expired = presentCharge(row({ status: 'expired', expired_at: AT }), [], NOW);
  assert.equal(expired.expired, true);
  assert.equal(expired.expired_at, '2026-03-15T12:00:01Z');
});
