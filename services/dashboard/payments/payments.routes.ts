// The payments pages: charges of the session's account (charges.read), one charge with its card
// (cards.read_masked), its refunds (refunds.read) and a refund form (charges.refund, which also needs
// a fresh step-up to post), and the charges as CSV (data.export). Everything goes through the api's
// internal interface for the session's account only, so another account's charge id answers 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { formAction, noticeFrom, type StepUp } from '../team/team-pages.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import { formatAmount } from './money.ts';
import { pagerOf, parsePageQuery, PAGE_SIZES } from './page-query.ts';
import { chargeCsv } from './payments-csv.ts';
import type { PaymentsActor, PaymentsService } from './payments.service.ts';
import { refundableOf } from './refund-amount.ts';

const CHARGE_ID = idPattern('charge');
const NOTICES = { refunded: 'The refund was made. It is listed below; the payer\'s bank may take a few days to show it.' } as const;

type IdParams = { Params: { id: string } };

export function actorOf(request: FastifyRequest): PaymentsActor {
  const session = request.session!;
  return { ...auditContext(request), userId: session.userId, accountId: session.accountId };
}

function chargeIdOf(request: FastifyRequest<IdParams>): string {
  if (!CHARGE_ID.test(request.params.id)) throw httpError(404, 'not_found', 'There is no such charge in this account.');
  return request.params.id;
}

export async function paymentsRoutes(app: FastifyInstance, deps: { payments: PaymentsService; stepUp: StepUp }) {
  const { payments } = deps;

  app.get('/payments', { preHandler: requirePermission('charges.read') }, async (request, reply) => {
    const query = parsePageQuery(request.query);
    const session = request.session!;
    const page = await payments.listCharges(session.accountId, query, String(request.id));
    const mode = query.livemode ? 'live' : 'test';
    return renderPage(request, reply, 'payments/charges', {
      title: 'Payments', charges: page.data, query, mode, pager: pagerOf('/payments', query, page.total), pageSizes: PAGE_SIZES,
      money: formatAmount, exportUrl: session.permissions.has('data.export') ? `/payments/export.csv?mode=${mode}` : null,
    });
  });

  async function chargePage(request: FastifyRequest<IdParams>, reply: FastifyReply, extra: { errors?: string[]; amount?: string } = {}, status = 200) {
    const session = request.session!;
    const chargeId = chargeIdOf(request);
    const canSeeRefunds = session.permissions.has('refunds.read');
    const [charge, refunds] = await Promise.all([
      payments.charge(session.accountId, chargeId, String(request.id)),
      canSeeRefunds ? payments.refunds(session.accountId, chargeId, String(request.id)) : Promise.resolve(null),
    ]);
    const left = refundableOf(charge);
    return renderPage(request, reply, 'payments/charge', {
      title: `Charge ${charge.id}`, charge, money: formatAmount, left,
      card: session.permissions.has('cards.read_masked') ? charge.card : null,
      refunds, customerHref: charge.customer && session.permissions.has('customers.read') ? `/customers/${charge.customer}` : null,
      canRefund: session.permissions.has('charges.refund') && left > 0,
      amount: extra.amount ?? String(left), errors: extra.errors ?? [], notice: noticeFrom(request, NOTICES),
    }, status);
  }

  app.get<IdParams>('/payments/charges/:id', { preHandler: requirePermission('charges.read') }, async (request, reply) => chargePage(request, reply));

  // Moves money: charges.refund and a fresh second factor. A refusal the user can fix shows on the
  // charge's page (to those who may see it; others get the error page).
  app.post<IdParams>('/payments/charges/:id/refunds', { preHandler: [requirePermission('charges.refund'), deps.stepUp] }, async (request, reply) => {
    const fields = formFields(request.body, { amount: 32, _csrf: 64 });
    const chargeId = chargeIdOf(request);
    return formAction(async () => {
      await payments.refund(actorOf(request), chargeId, fields.amount);
      return reply.redirect(`/payments/charges/${chargeId}?notice=refunded`, 303);
    }, async (message, status) => {
      if (!request.session!.permissions.has('charges.read')) throw httpError(status, status === 409 ? 'conflict' : 'bad_request', message);
      return chargePage(request, reply, { errors: [message], amount: fields.amount }, status);
    });
  });

  // Exporting is reading in bulk: it needs charges.read as well (a custom role with only data.export gets 403).
  app.get('/payments/export.csv', { preHandler: [requirePermission('data.export'), requirePermission('charges.read')] }, async (request, reply) => {
    const query = parsePageQuery(request.query);
    const { charges } = await payments.exportCharges(actorOf(request), query.livemode);
    const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="charges-${query.livemode ? 'live' : 'test'}-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(chargeCsv(charges));
  });
}
