// The account's charges, refunds and customers, and refunding, over the api's internal mTLS listener
// (services/api/dashboard-payments, caller `dashboard` only). The dashboard reads and changes payments
// data only through here. A refund names the dashboard user (`actor_id`): the api audits it as theirs.
import { isTestId } from '#lib/contracts/index.ts';
import { httpError, type MtlsClient } from '#lib/http/index.ts';
import { callApi } from '../api-client/api-call.ts';

/** Card metadata as the vault reports it: never a full number. */
export type Card = { id: string; brand: string; last_digits: string; expiration_month: number; expiration_year: number; name: string | null; bank: string | null };

export type Refund = { id: string; amount: number; currency: string; status: string; voided: boolean; created_at: string };

/** The fields of the Omise charge object the pages show. */
export type Charge = {
  id: string; livemode: boolean; amount: number; currency: string; description: string | null; status: string;
  capture: boolean; authorized: boolean; authorized_amount: number; captured_amount: number; paid: boolean; paid_at: string | null;
  reversed: boolean; expired: boolean; expires_at: string; refundable: boolean; refunded_amount: number;
  failure_code: string | null; failure_message: string | null; card: Card | null; customer: string | null;
  fee: number; fee_vat: number; net: number; created_at: string;
};

export type Customer = {
  id: string; livemode: boolean; email: string | null; description: string | null; default_card: string | null;
  cards: { data: Card[]; total: number }; created_at: string;
};

export type Page<T> = { data: T[]; total: number; limit: number; offset: number };
/** `to`: only what was created before it (an export pins it, so new charges do not shift its pages). */
export type PageQuery = { livemode: boolean; limit: number; offset: number; to?: Date };
type Options = { requestId?: string };

export type PaymentsApi = {
  listCharges(accountId: string, query: PageQuery, options?: Options): Promise<Page<Charge>>;
  charge(accountId: string, chargeId: string, options?: Options): Promise<Charge>;
  /** The charge's refunds, newest first (at most 100). */
  refunds(accountId: string, chargeId: string, options?: Options): Promise<Page<Refund>>;
  refund(accountId: string, chargeId: string, input: { amount: number; actorId: string; origin?: { ip?: string; userAgent?: string }; requestId?: string }): Promise<Refund>;
  listCustomers(accountId: string, query: PageQuery, options?: Options): Promise<Page<Customer>>;
  customer(accountId: string, customerId: string, options?: Options): Promise<Customer>;
};

// The refund may have been made even though no answer came back: say so rather than invite a second one.
const refundUnconfirmed = () => httpError(502, 'bad_gateway',
  'The payments service did not confirm the refund. It may still be made: look at the charge\'s refunds before you try again.');
const NOT_FOUND = { charge: 'There is no such charge in this account.', customer: 'There is no such customer in this account.' } as const;

export function paymentsApiOver(client: Pick<MtlsClient, 'request'>): PaymentsApi {
  const call = <T>(method: 'GET' | 'POST', path: string, body: unknown, requestId: string | undefined,
    kind: keyof typeof NOT_FOUND, failed?: () => Error): Promise<T> =>
    callApi<T>(client, method, path, body, { requestId, notFound: NOT_FOUND[kind], failed });
  const account = (accountId: string) => `/internal/v1/accounts/${encodeURIComponent(accountId)}`;
  // Ids carry their mode (`chrg_test_…`), so the mode of a lookup follows from the id.
  const modeOf = (id: string) => `livemode=${!isTestId(id)}`;
  const listQuery = (q: PageQuery) => new URLSearchParams({
    livemode: String(q.livemode), limit: String(q.limit), offset: String(q.offset), order: 'reverse_chronological',
    ...(q.to ? { to: q.to.toISOString() } : {}),
  }).toString();
  const chargePath = (accountId: string, chargeId: string) => `${account(accountId)}/charges/${encodeURIComponent(chargeId)}`;
  return {
    listCharges: (accountId, query, options = {}) => call('GET', `${account(accountId)}/charges?${listQuery(query)}`, undefined, options.requestId, 'charge'),
    charge: (accountId, chargeId, options = {}) => call('GET', `${chargePath(accountId, chargeId)}?${modeOf(chargeId)}`, undefined, options.requestId, 'charge'),
    refunds: (accountId, chargeId, options = {}) =>
      call('GET', `${chargePath(accountId, chargeId)}/refunds?${modeOf(chargeId)}&limit=100&order=reverse_chronological`, undefined, options.requestId, 'charge'),
    refund: (accountId, chargeId, input) =>
      call('POST', `${chargePath(accountId, chargeId)}/refunds`, {
        actor_id: input.actorId, amount: input.amount, livemode: !isTestId(chargeId),
        ...(input.origin?.ip ? { actor_ip: input.origin.ip, ...(input.origin.userAgent ? { actor_user_agent: input.origin.userAgent.slice(0, 512) } : {}) } : {}),
      },
        input.requestId, 'charge', refundUnconfirmed),
    listCustomers: (accountId, query, options = {}) => call('GET', `${account(accountId)}/customers?${listQuery(query)}`, undefined, options.requestId, 'customer'),
    customer: (accountId, customerId, options = {}) =>
      call('GET', `${account(accountId)}/customers/${encodeURIComponent(customerId)}?${modeOf(customerId)}`, undefined, options.requestId, 'customer'),
  };
}
