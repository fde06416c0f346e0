// A stand-in for the api's payments interface that behaves like it where the pages care: charges and
// customers kept per account (another account's id is not found), lists newest first with a total,
// and refunds refused past what is left (the api's words). Records every refund asked for.
import { newId } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Card, Charge, Customer, PaymentsApi, Refund } from './payments-api.ts';

export type FakePayments = PaymentsApi & {
  refundCalls: Array<{ accountId: string; chargeId: string; amount: number; actorId: string }>;
  chargeCalls: number;
  refundListCalls: number;
  /** The next refund is refused by "the api" with this message (as when an unanswered refund holds money back). */
  refuseNextRefund: string | null;
  addCharge(accountId: string, fields?: Partial<Charge>): Charge;
  addCustomer(accountId: string, fields?: Partial<Customer>): Customer;
};

export function card(fields: Partial<Card> = {}): Card {
  return { id: newId('card', false), brand: 'Visa', last_digits: '4242', expiration_month: 7, expiration_year: 2031, name: 'Somchai Prasert', bank: 'Test Bank', ...fields };
}

export function createFakePayments(): FakePayments {
  const charges = new Map<string, Charge[]>();
  const customers = new Map<string, Customer[]>();
  const refunds = new Map<string, Refund[]>();
  let clock = Date.parse('2026-04-01T09:00:00Z');
  const stamp = () => new Date((clock += 60_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const page = <T extends { livemode: boolean }>(rows: T[], q: { livemode: boolean; limit: number; offset: number }) => {
    const mode = rows.filter((r) => r.livemode === q.livemode).reverse();
    return { data: mode.slice(q.offset, q.offset + q.limit), total: mode.length, limit: q.limit, offset: q.offset };
  };
  const findCharge = (accountId: string, id: string) => {
    const found = charges.get(accountId)?.find((c) => c.id === id);
    if (!found) throw httpError(404, 'not_found', 'There is no such charge in this account.');
    return found;
  };

  const fake: FakePayments = {
    refundCalls: [], chargeCalls: 0, refundListCalls: 0, refuseNextRefund: null,
    addCharge(accountId, fields = {}) {
      const amount = fields.amount ?? 100_000;
      const livemode = fields.livemode ?? false;
      const charge: Charge = {
        id: newId('charge', livemode), livemode, amount, currency: 'THB', description: null, status: 'successful', capture: true,
        authorized: true, authorized_amount: amount, captured_amount: amount, paid: true, paid_at: null, reversed: false, expired: false,
        expires_at: '2026-04-08T09:00:00Z', refundable: true, refunded_amount: 0, failure_code: null, failure_message: null, card: card(),
        customer: null, fee: Math.round(amount * 0.0365), fee_vat: Math.round(amount * 0.0365 * 0.07), net: amount - Math.round(amount * 0.0365 * 1.07),
        created_at: stamp(), ...fields,
      };
      charges.set(accountId, [...(charges.get(accountId) ?? []), charge]);
      return charge;
    },
    addCustomer(accountId, fields = {}) {
      const saved = card();
      const customer: Customer = {
        id: newId('customer', false), livemode: false, email: 'payer@example.test', description: null, default_card: saved.id,
        cards: { data: [saved], total: 1 }, created_at: stamp(), ...fields,
      };
      customers.set(accountId, [...(customers.get(accountId) ?? []), customer]);
      return customer;
    },
    async listCharges(accountId, q) { return page(charges.get(accountId) ?? [], q); },
    async charge(accountId, id) {
      fake.chargeCalls++;
      return structuredClone(findCharge(accountId, id));
    },
    async refunds(accountId, id) {
      fake.refundListCalls++;
      findCharge(accountId, id);
      const list = [...(refunds.get(id) ?? [])].reverse();
      return { data: list, total: list.length, limit: 100, offset: 0 };
    },
    async refund(accountId, chargeId, input) {
      const charge = findCharge(accountId, chargeId);
      fake.refundCalls.push({ accountId, chargeId, amount: input.amount, actorId: input.actorId });
      if (fake.refuseNextRefund !== null) {
        const message = fake.refuseNextRefund;
        fake.refuseNextRefund = null;
        throw httpError(400, 'failed_refund', message);
      }
      const left = charge.captured_amount - charge.refunded_amount;
      if (input.amount > left) throw httpError(400, 'failed_refund', `charge can't be refunded: the amount is more than the ${left} left to refund`);
      const refund: Refund = { id: newId('refund', charge.livemode), amount: input.amount, currency: charge.currency, status: 'closed', voided: false, created_at: stamp() };
      refunds.set(chargeId, [...(refunds.get(chargeId) ?? []), refund]);
      charge.refunded_amount += input.amount;
      charge.refundable = charge.refunded_amount < charge.captured_amount;
      return refund;
    },
    async listCustomers(accountId, q) { return page(customers.get(accountId) ?? [], q); },
    async customer(accountId, id) {
      const found = customers.get(accountId)?.find((c) => c.id === id);
      if (!found) throw httpError(404, 'not_found', 'There is no such customer in this account.');
      return found;
    },
  };
  return fake;
}
