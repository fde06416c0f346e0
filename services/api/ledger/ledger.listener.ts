// Books money movements from state changes (changes/changes.ts), in the transaction of the change: a
// charge that is paid after `charge.create`, `charge.capture` or `charge.complete` credits the merchant
// with its net and books the fee and VAT; `refund.create` debits the refunded amount. The amounts are
// read from the object as the API presents it (charge-view.ts, fees.ts), so the ledger and the charge
// the merchant sees agree by construction. Posting is once per (origin, kind): a retried or repeated
// change never books twice.
import { idPattern, newId } from '#lib/contracts/index.ts';
import type { ChangeKey, ChangeListener, ChangedObject } from '../changes/changes.ts';
import { captureLines, refundLines } from './postings.ts';
import type { LedgerStore } from './ledger.store.ts';

const CAPTURE_KEYS: ReadonlySet<ChangeKey> = new Set(['charge.create', 'charge.capture', 'charge.complete']);
const TRANSACTION_ID = idPattern('transaction');

function amount(data: ChangedObject, field: string): number {
  const value = data[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${data.object} ${data.id}: ${field} is not an integer amount`);
  return value;
}

function currency(data: ChangedObject): string {
  if (typeof data.currency !== 'string' || !/^[A-Z]{3}$/.test(data.currency)) throw new TypeError(`${data.object} ${data.id}: no currency`);
  return data.currency;
}

export function createLedgerListener(deps: {
  store: Pick<LedgerStore, 'post'>;
  /** How long a credit waits before it is transferable (settlement); debits count at once. */
  settlementDelayMs?: number;
}): ChangeListener {
  const delay = deps.settlementDelayMs ?? 0;
  if (!Number.isSafeInteger(delay) || delay < 0) throw new RangeError('settlementDelayMs must be a non-negative integer');

  return async (tx, change) => {
    const { merchant, key, data, at } = change;
    const entry = () => ({
      // The id the object already names (`transaction`), so the charge or refund and its entry agree.
      id: typeof data.transaction === 'string' && TRANSACTION_ID.test(data.transaction) ? data.transaction : newId('transaction', merchant.livemode),
      accountId: merchant.accountId, livemode: merchant.livemode, origin: data.id, currency: currency(data), createdAt: at,
    });
    if (CAPTURE_KEYS.has(key) && data.object === 'charge' && data.paid === true) {
      const lines = captureLines({
        captured: amount(data, 'captured_amount'), fee: amount(data, 'fee'), feeVat: amount(data, 'fee_vat'), net: amount(data, 'net'),
      });
      await deps.store.post(tx, { ...entry(), kind: 'charge.captured.net', transferableAt: new Date(at.getTime() + delay) }, lines);
    } else if (key === 'refund.create' && data.object === 'refund') {
      await deps.store.post(tx, { ...entry(), kind: 'refund', transferableAt: at }, refundLines(amount(data, 'amount')));
    }
  };
}
