// Charges as CSV, with the audit log's cell rules (audit-log/audit-csv.ts: every cell quoted, a cell
// that could run as a spreadsheet formula prefixed with an apostrophe, CRLF lines). Amounts are in
// the currency's smallest unit, as the API gives them; card data is never exported.
import { csvLine } from '../audit-log/audit-csv.ts';
import type { Charge } from './payments-api.ts';

export const CHARGE_CSV_COLUMNS = [
  'id', 'created_at', 'livemode', 'status', 'currency', 'amount', 'captured_amount', 'refunded_amount', 'fee', 'fee_vat', 'net',
  'paid', 'description', 'failure_code', 'failure_message', 'customer',
] as const;

export function chargeCsv(charges: readonly Charge[]): string {
  let body = csvLine([...CHARGE_CSV_COLUMNS]);
  for (const c of charges) {
    body += csvLine([
      c.id, c.created_at, String(c.livemode), c.status, c.currency, c.amount, c.captured_amount, c.refunded_amount, c.fee, c.fee_vat, c.net,
      String(c.paid), c.description, c.failure_code, c.failure_message, c.customer,
    ]);
  }
  return body;
}
