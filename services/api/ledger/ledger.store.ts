// Queries on the ledger tables (migration 0006_ledger.sql). Writes only append, inside the caller's
// transaction; every read is scoped by account and mode (another merchant's entry is simply not found).
import { sql, type Kysely, type Selectable, type Transaction } from '#lib/db/index.ts';
import type { ApiDatabase, LedgerKind } from '../db.ts';
import type { ListParams } from '../lists/list-params.ts';
import { isBalanced, merchantMovement, type Line } from './postings.ts';

export type LedgerEntryRow = Selectable<ApiDatabase['ledger_entries']>;

export type EntryInput = {
  id: string; accountId: string; livemode: boolean; currency: string; kind: LedgerKind; origin: string;
  createdAt: Date; transferableAt: Date;
};

/** Sums of the merchant_balance lines: all of them, and those transferable by `at`. */
export type MerchantSums = { total: number; matured: number };

export function createLedgerStore(db: Kysely<ApiDatabase>) {
  const scoped = (accountId: string, livemode: boolean) =>
    db.selectFrom('ledger_entries').where('account_id', '=', accountId).where('livemode', '=', livemode);

  return {
    /**
     * Posts an entry once per (origin, kind). A second post of the same movement is a no-op when it
     * books the same amount, and an error when it does not (the first one stands, the change rolls back).
     * The database checks the balance again at commit (constraint trigger); this is the first gate.
     */
    async post(tx: Transaction<ApiDatabase>, entry: EntryInput, lines: readonly Line[]): Promise<{ id: string; posted: boolean }> {
      if (!isBalanced(lines)) throw new Error(`ledger entry ${entry.kind} of ${entry.origin} does not balance`);
      const { direction, amount } = merchantMovement(lines);
      const inserted = await tx.insertInto('ledger_entries').values({
        id: entry.id, account_id: entry.accountId, livemode: entry.livemode, currency: entry.currency, kind: entry.kind,
        origin: entry.origin, direction, amount, line_count: lines.length, transferable_at: entry.transferableAt, created_at: entry.createdAt,
      }).onConflict((conflict) => conflict.columns(['origin', 'kind']).doNothing()).returning('id').executeTakeFirst();
      if (!inserted) {
        const existing = await tx.selectFrom('ledger_entries').select(['id', 'direction', 'amount', 'currency'])
          .where('origin', '=', entry.origin).where('kind', '=', entry.kind).executeTakeFirstOrThrow();
        if (existing.direction !== direction || existing.amount !== amount || existing.currency !== entry.currency) {
          throw new Error(`ledger entry ${entry.kind} of ${entry.origin} was already posted with another amount`);
        }
        return { id: existing.id, posted: false };
      }
      await tx.insertInto('ledger_lines').values(lines.map((line, index) => ({
        entry_id: entry.id, line: index + 1, ledger_account: line.account, debit: line.debit, credit: line.credit,
      }))).execute();
      return { id: entry.id, posted: true };
    },

    find: (accountId: string, livemode: boolean, id: string) =>
      scoped(accountId, livemode).selectAll().where('id', '=', id).executeTakeFirst(),

    async list(accountId: string, livemode: boolean, params: ListParams): Promise<{ rows: LedgerEntryRow[]; total: number }> {
      const window = scoped(accountId, livemode).where('created_at', '>=', params.from).where('created_at', '<=', params.to);
      const direction = params.order === 'chronological' ? 'asc' : 'desc';
      const [rows, count] = await Promise.all([
        window.selectAll().orderBy('created_at', direction).orderBy('id', direction).limit(params.limit).offset(params.offset).execute(),
        window.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },

    /** The merchant's balance in one currency, summed from the ledger lines (not from the entries' amounts). */
    async merchantSums(accountId: string, livemode: boolean, currency: string, at: Date): Promise<MerchantSums> {
      const row = await db.selectFrom('ledger_lines as l').innerJoin('ledger_entries as e', 'e.id', 'l.entry_id')
        .where('e.account_id', '=', accountId).where('e.livemode', '=', livemode).where('e.currency', '=', currency)
        .where('l.ledger_account', '=', 'merchant_balance')
        .select([
          sql<number>`COALESCE(SUM(l.credit - l.debit), 0)::bigint`.as('total'),
          sql<number>`COALESCE(SUM(l.credit - l.debit) FILTER (WHERE e.transferable_at <= ${at}), 0)::bigint`.as('matured'),
        ])
        .executeTakeFirstOrThrow();
      return { total: row.total, matured: row.matured };
    },
  };
}

export type LedgerStore = ReturnType<typeof createLedgerStore>;
