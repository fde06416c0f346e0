// The payments pages' work: reads of the session's account through the api, a refund (checked here,
// made and audited by the api with the user as actor, and recorded in the dashboard's trail too, with
// the session, IP and browser, refusals included), and the charges CSV export (audited).
import { isAuditError, type Audit, type AuditRecord } from '#lib/audit/index.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { AuditContext } from '../web/audit-context.ts';
import type { Charge, PageQuery, PaymentsApi, Refund } from './payments-api.ts';
import { readRefundAmount } from './refund-amount.ts';

export type PaymentsActor = AuditContext & { userId: string; accountId: string };

/** Rows in one export: the newest charges of the mode. */
export const EXPORT_MAX = 10_000;
const EXPORT_PAGE = 100;

export function createPaymentsService(deps: { api: PaymentsApi; audit: Pick<Audit, 'recordStandalone'> }) {
  const { api, audit } = deps;

  /** A refusal's reason comes from the api; if the audit guard refuses it, the entry goes without it. */
  async function record(entry: AuditRecord): Promise<void> {
    try {
      await audit.recordStandalone(entry);
    } catch (error) {
      if (!isAuditError(error)) throw error;
      await audit.recordStandalone({ ...entry, outcome: { result: entry.outcome.result, reason: 'withheld: it holds text the audit trail refuses' } });
    }
  }

  const base = (actor: PaymentsActor, action: string) =>
    ({ actor: actor.actor, origin: actor.origin, requestId: actor.requestId, action, tenant: actor.accountId });

  return {
    listCharges: (accountId: string, query: PageQuery, requestId?: string) => api.listCharges(accountId, query, { requestId }),
    charge: (accountId: string, chargeId: string, requestId?: string) => api.charge(accountId, chargeId, { requestId }),
    refunds: (accountId: string, chargeId: string, requestId?: string) => api.refunds(accountId, chargeId, { requestId }),
    listCustomers: (accountId: string, query: PageQuery, requestId?: string) => api.listCustomers(accountId, query, { requestId }),
    customer: (accountId: string, customerId: string, requestId?: string) => api.customer(accountId, customerId, { requestId }),

    /** Refunds `rawAmount` (the form's text) of the charge; a 4xx refusal is audited and thrown. */
    async refund(actor: PaymentsActor, chargeId: string, rawAmount: string): Promise<Refund> {
      const targets = [{ type: 'charge', id: chargeId }];
      let charge: Charge | undefined;
      let refund: Refund;
      try {
        charge = await api.charge(actor.accountId, chargeId, { requestId: actor.requestId });
        const amount = readRefundAmount(rawAmount, charge);
        refund = await api.refund(actor.accountId, chargeId, { amount, actorId: actor.userId, origin: actor.origin, requestId: actor.requestId });
      } catch (error) {
        // Another account's charge (404) names nothing of this account: only refusals of its own charges are recorded.
        if (charge && isHttpError(error) && error.statusCode < 500) {
          await record({ ...base(actor, 'refund.create'), targets, outcome: { result: 'failure', reason: error.message.slice(0, 500) },
            metadata: { livemode: charge.livemode, currency: charge.currency } });
        }
        throw error;
      }
      await record({ ...base(actor, 'refund.create'), targets: [...targets, { type: 'refund', id: refund.id }], outcome: { result: 'success' },
        metadata: { livemode: charge.livemode, amount: refund.amount, currency: refund.currency } });
      return refund;
    },

    /** The newest charges of the mode, up to EXPORT_MAX, for the CSV; the export is audited. */
    async exportCharges(actor: PaymentsActor, livemode: boolean): Promise<{ charges: Charge[]; truncated: boolean }> {
      const charges: Charge[] = [];
      const to = new Date();
      let total = Infinity;
      while (charges.length < Math.min(total, EXPORT_MAX)) {
        const query = { livemode, limit: Math.min(EXPORT_PAGE, EXPORT_MAX - charges.length), offset: charges.length, to };
        const page = await api.listCharges(actor.accountId, query, { requestId: actor.requestId });
        charges.push(...page.data);
        total = page.total;
        if (page.data.length === 0) break;
      }
      const truncated = total > charges.length;
      await record({ ...base(actor, 'payments.export'), targets: [{ type: 'account', id: actor.accountId }], outcome: { result: 'success' },
        metadata: { what: 'charges', livemode, rows: charges.length, truncated } });
      return { charges, truncated };
    },
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
