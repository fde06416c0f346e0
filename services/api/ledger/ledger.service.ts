// Reads of the ledger for the merchant (docs/omise-compat.md §7.8, §7.10, §8.6): the transactions
// list and one transaction, and the balance. Writes happen only in the change listener.
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import type { Merchant } from '../auth/secret-key.auth.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import { limitsOf } from '../charges/currencies.ts';
import { listObject, parseListParams } from '../lists/list-params.ts';
import type { LedgerStore } from './ledger.store.ts';
import { presentTransaction } from './transaction-view.ts';
import { presentBalance } from './balance-view.ts';

const TRANSACTION_ID = idPattern('transaction');

/** `?currency=` picks another card currency's balance (a Strongroom extension); the account's by default. */
function balanceCurrency(query: unknown, accountCurrency: string): string {
  const raw = query !== null && typeof query === 'object' ? (query as Record<string, unknown>).currency : undefined;
  if (raw === undefined || raw === '') return accountCurrency.toUpperCase();
  const code = typeof raw === 'string' ? raw.toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(code) || !limitsOf(code)) throw httpError(400, 'bad_request', 'currency is currently not supported');
  return code;
}

export function createLedgerService(deps: { store: LedgerStore; findAccount: AccountService['findAccount']; now?: () => Date }) {
  const { store, findAccount } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async list(merchant: Merchant, query: unknown) {
      const params = parseListParams(query, now());
      const { rows, total } = await store.list(merchant.accountId, merchant.livemode, params);
      return listObject(params, '/transactions', rows.map(presentTransaction), total);
    },

    async retrieve(merchant: Merchant, id: string) {
      const row = TRANSACTION_ID.test(id) ? await store.find(merchant.accountId, merchant.livemode, id) : undefined;
      // Only an id of the right shape is echoed: the message never carries arbitrary input.
      if (!row) throw httpError(404, 'not_found', TRANSACTION_ID.test(id) ? `transaction ${id} was not found` : 'transaction was not found');
      return presentTransaction(row);
    },

    async balance(merchant: Merchant, query: unknown) {
      const account = await findAccount(merchant.accountId);
      if (!account) throw httpError(404, 'not_found', 'account was not found');
      const currency = balanceCurrency(query, account.currency);
      const at = now();
      return presentBalance(merchant.livemode, currency, await store.merchantSums(merchant.accountId, merchant.livemode, currency, at), at);
    },
  };
}

export type LedgerService = ReturnType<typeof createLedgerService>;
