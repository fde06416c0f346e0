// The merchant dashboard's payments pages read charges, refunds and customers, and refund, through
// these routes on the api's INTERNAL listener (mTLS, caller `dashboard` only), never the public API.
// Every route names the account; the existing services do the work on a merchant made from it, so an
// id of another account (or mode) is not found, exactly as with a secret key. A refund is audited by
// the refund service with the dashboard user as actor and `caller: dashboard` in the metadata.
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import { requestOrigin } from '../auth/request-origin.ts';
import type { ChargeService } from '../charges/charges.service.ts';
import type { CustomerService } from '../customers/customers.service.ts';
import type { RefundService } from '../refunds/refunds.service.ts';
import {
  AccountParams, ChargeParams, CustomerParams, ListQuery, ModeQuery, NoQuery, RefundBody,
} from './dashboard-payments.schemas.ts';

export const DASHBOARD_PAYMENTS_CALLERS = ['dashboard'] as const;

type Lookup = { Params: AccountParams; Querystring: ModeQuery };

/** The list parameters without `livemode`: what lists/list-params.ts reads. */
function listParamsOf(query: ListQuery): Record<string, string> {
  const { limit, offset, order, from, to } = query;
  return Object.fromEntries(Object.entries({ limit, offset, order, from, to }).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export async function dashboardPaymentsRoutes(app: FastifyInstance, opts: {
  charges: ChargeService; refunds: RefundService; customers: CustomerService;
  findAccount: (id: string) => Promise<unknown>;
}) {
  const { charges, refunds, customers } = opts;
  const config = { allowedCallers: DASHBOARD_PAYMENTS_CALLERS };
  const base = '/internal/v1/accounts/:accountId';

  // After validation (the id's shape is checked), before every handler: an unknown account is a 404,
  // not an empty list.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const { accountId } = request.params as AccountParams;
    if (!(await opts.findAccount(accountId))) throw httpError(404, 'not_found', 'account was not found');
  });

  /** The account as a merchant in the asked mode; reads only, so no person is named. */
  const reader = (request: FastifyRequest<{ Params: AccountParams; Querystring: { livemode?: string } }>): Merchant =>
    ({ accountId: request.params.accountId, livemode: request.query.livemode === 'true', keyId: request.caller! });

  app.get<{ Params: AccountParams; Querystring: ListQuery }>(`${base}/charges`, { schema: { params: AccountParams, querystring: ListQuery }, config },
    async (request) => charges.list(reader(request), listParamsOf(request.query)));
  app.get<Lookup & { Params: ChargeParams }>(`${base}/charges/:chargeId`, { schema: { params: ChargeParams, querystring: ModeQuery }, config },
    async (request) => charges.retrieve(reader(request), request.params.chargeId));
  app.get<{ Params: ChargeParams; Querystring: ListQuery }>(`${base}/charges/:chargeId/refunds`, { schema: { params: ChargeParams, querystring: ListQuery }, config },
    async (request) => refunds.list(reader(request), request.params.chargeId, listParamsOf(request.query)));
  app.post<{ Params: ChargeParams; Body: RefundBody }>(`${base}/charges/:chargeId/refunds`,
    { schema: { params: ChargeParams, querystring: NoQuery, body: RefundBody }, config },
    async (request) => {
      const merchant: Merchant = {
        accountId: request.params.accountId, livemode: request.body.livemode, keyId: request.caller!,
        actor: { type: 'user', id: request.body.actor_id },
      };
      // The origin is the user's browser, as the dashboard saw it (the connection is the dashboard's own).
      const { actor_ip: ip, actor_user_agent: userAgent } = request.body;
      if (ip !== undefined && isIP(ip) === 0) throw httpError(400, 'bad_request', 'actor_ip must be an IP address');
      const origin = ip === undefined ? requestOrigin(request) : { ip, userAgent, requestId: request.id };
      return refunds.create(merchant, request.params.chargeId, { amount: request.body.amount }, origin);
    });
  app.get<{ Params: AccountParams; Querystring: ListQuery }>(`${base}/customers`, { schema: { params: AccountParams, querystring: ListQuery }, config },
    async (request) => customers.list(reader(request), listParamsOf(request.query)));
  app.get<Lookup & { Params: CustomerParams }>(`${base}/customers/:customerId`, { schema: { params: CustomerParams, querystring: ModeQuery }, config },
    async (request) => customers.retrieve(reader(request), request.params.customerId));
}
