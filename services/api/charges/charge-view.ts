// The Omise charge and refund objects (docs/omise-compat.md §7.3, §7.4): every field present, null
// when empty, flags derived from the state as in the status/flag table. `transaction` names the ledger
// transaction (services/api/ledger) the capture or refund posted, in the same database transaction.
import type { ChargeRow } from './charges.store.ts';
import type { RefundRow } from '../refunds/refunds.store.ts';
import { embeddedListParams, listObject, omiseTime } from '../lists/list-params.ts';
import { computeFees, transactionFees } from './fees.ts';

/** Card authorizations lapse after 7 days (30 for Japanese merchants, not supported yet). */
export const AUTHORIZATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export const expiresAt = (row: Pick<ChargeRow, 'created_at'>) => new Date(row.created_at.getTime() + AUTHORIZATION_LIFETIME_MS);
const time = (date: Date | null) => (date === null ? null : omiseTime(date));

/** Authorized, nothing captured, not reversed or expired, authorization not lapsed. */
export function isCapturable(row: ChargeRow, now: Date): boolean {
  return row.status === 'pending' && row.authorized && row.captured_amount === 0 && row.authorization_id !== null && now < expiresAt(row);
}

export function isPaid(row: ChargeRow): boolean {
  return row.status === 'successful' && row.captured_amount > 0;
}

export function presentRefund(row: RefundRow) {
  return {
    object: 'refund',
    id: row.id,
    livemode: row.livemode,
    location: `/charges/${row.charge_id}/refunds/${row.id}`,
    amount: row.amount,
    currency: row.currency,
    charge: row.charge_id,
    transaction: row.transaction_id,
    status: row.status,
    voided: row.voided,
    metadata: row.metadata,
    funding_amount: row.amount,
    funding_currency: row.currency,
    capture: null,
    terminal: null,
    acquirer_reference_number: null,
    approval_code: null,
    created_at: omiseTime(row.created_at),
  };
}

export function presentCharge(row: ChargeRow, refunds: readonly RefundRow[], now: Date = new Date()) {
  const paid = isPaid(row);
  const capturable = isCapturable(row, now);
  const refundable = paid && row.refunded_amount < row.captured_amount;
  // Fees are on what was captured once paid, and on the amount asked for until then.
  const fees = computeFees(paid ? row.captured_amount : row.amount, { feeRateBp: row.fee_rate_bp, vatRateBp: row.vat_rate_bp });
  const embedded = embeddedListParams(now);
  return {
    object: 'charge',
    id: row.id,
    livemode: row.livemode,
    location: `/charges/${row.id}`,
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    metadata: row.metadata,
    status: row.status,
    capture: row.capture,
    authorization_type: row.authorization_type,
    authorized: row.authorized,
    authorized_amount: row.authorized_amount,
    captured_amount: row.captured_amount,
    authorized_at: time(row.authorized_at),
    paid,
    paid_at: paid ? time(row.paid_at) : null,
    capturable,
    reversible: capturable,
    reversed: row.status === 'reversed',
    reversed_at: time(row.reversed_at),
    refundable,
    partially_refundable: refundable,
    refunded_amount: row.refunded_amount,
    refunds: listObject(embedded, `/charges/${row.id}/refunds`, refunds.slice(0, embedded.limit).map(presentRefund), refunds.length),
    voided: false,
    can_perform_void: false,
    disputable: paid,
    dispute: null,
    expired: row.status === 'expired',
    expires_at: omiseTime(expiresAt(row)),
    expired_at: time(row.expired_at),
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    merchant_advice: null,
    merchant_advice_code: null,
    missing_3ds_fields: [],
    authenticated_by: row.authenticated_by ?? null,
    authorize_uri: row.authorize_uri,
    return_uri: row.return_uri,
    card: row.card,
    customer: row.customer_id,
    source: null,
    transaction: paid ? row.transaction_id : null,
    ip: row.ip,
    fee: fees.fee,
    fee_vat: fees.fee_vat,
    net: fees.net,
    interest: 0,
    interest_vat: 0,
    funding_amount: row.amount,
    funding_currency: row.currency,
    transaction_fees: transactionFees({ feeRateBp: row.fee_rate_bp, vatRateBp: row.vat_rate_bp }),
    platform_fee: { fixed: null, amount: null, percentage: null },
    link: null,
    schedule: null,
    linked_account: null,
    branch: null,
    terminal: null,
    device: null,
    zero_interest_installments: false,
    multi_capture: false,
    approval_code: null,
    acquirer_reference_number: null,
    created_at: omiseTime(row.created_at),
  };
}

export type ChargeView = ReturnType<typeof presentCharge>;
