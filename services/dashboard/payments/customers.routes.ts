// The customers pages (customers.read): the account's customers, and one customer with its saved
// cards, masked (brand, last 4, expiry) and only for cards.read_masked. Through the api's internal
// interface for the session's account only: another account's customer id answers 404.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { renderPage } from '../web/views.ts';
import { pagerOf, parsePageQuery, PAGE_SIZES } from './page-query.ts';
import type { PaymentsService } from './payments.service.ts';

const CUSTOMER_ID = idPattern('customer');

export async function customerRoutes(app: FastifyInstance, deps: { payments: PaymentsService }) {
  const { payments } = deps;

  app.get('/customers', { preHandler: requirePermission('customers.read') }, async (request, reply) => {
    const query = parsePageQuery(request.query);
    const page = await payments.listCustomers(request.session!.accountId, query, String(request.id));
    return renderPage(request, reply, 'payments/customers', {
      title: 'Customers', customers: page.data, query, mode: query.livemode ? 'live' : 'test', pager: pagerOf('/customers', query, page.total),
      pageSizes: PAGE_SIZES, showCards: request.session!.permissions.has('cards.read_masked'),
    });
  });

  app.get<{ Params: { id: string } }>('/customers/:id', { preHandler: requirePermission('customers.read') }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    if (!CUSTOMER_ID.test(request.params.id)) throw httpError(404, 'not_found', 'There is no such customer in this account.');
    const session = request.session!;
    const customer = await payments.customer(session.accountId, request.params.id, String(request.id));
    return renderPage(request, reply, 'payments/customer', {
      title: `Customer ${customer.id}`, customer, cards: session.permissions.has('cards.read_masked') ? customer.cards.data : null,
    });
  });
}
